using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Units;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Recognition;

/// <summary>
/// A star level (星级) on its way to a volunteer: reviewed by the unit, on public notice for at least
/// five working days, then awarded — or rejected, withdrawn after an objection, or later revoked.
/// </summary>
public sealed class StarAward
{
    public const int ReasonMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid VolunteerId { get; set; }

    public Volunteer? Volunteer { get; set; }

    public int Level { get; set; }

    /// <summary>Confirmed minutes when the unit reviewed: the figure the notice showed.</summary>
    public int MinutesAtReview { get; set; }

    /// <summary>The reviewing administrator's unit (the volunteer's unit or one above it).</summary>
    public Guid UnitId { get; set; }

    public RecognitionStatus Status { get; set; }

    public DateTime NoticeStartsAtUtc { get; set; }

    public DateTime NoticeEndsAtUtc { get; set; }

    public DateTime? DecidedAtUtc { get; set; }

    public string? DecidedBy { get; set; }

    /// <summary>Why it was rejected, withdrawn or revoked.</summary>
    public string? Reason { get; set; }

    public DateTime CreatedAtUtc { get; set; }

    public string CreatedBy { get; set; } = "";
}

/// <summary>Where an award or a nomination stands.</summary>
public enum RecognitionStatus
{
    /// <summary>Nominated, waiting for review (commendations only).</summary>
    Nominated,

    /// <summary>On public notice: anyone may object until the notice ends.</summary>
    OnNotice,

    Awarded,

    Rejected,

    /// <summary>Taken off the notice after an objection was upheld.</summary>
    Withdrawn,

    /// <summary>Awarded, then taken back with a reason.</summary>
    Revoked,
}

/// <summary>A commendation round (最美志愿者, 五星志愿者, outstanding organisations or projects) with its criteria.</summary>
public sealed class CommendationRound
{
    public const int NameMaxLength = 100;
    public const int CriteriaMaxLength = 2000;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public required string Name { get; set; }

    public CommendationKind Kind { get; set; }

    public string Criteria { get; set; } = "";

    /// <summary>The unit running the round; units below it nominate.</summary>
    public Guid UnitId { get; set; }

    public Unit? Unit { get; set; }

    public DateTime NominationsCloseAtUtc { get; set; }

    public DateTime CreatedAtUtc { get; set; }

    public string CreatedBy { get; set; } = "";
}

public enum CommendationKind
{
    /// <summary>最美志愿者</summary>
    MostBeautifulVolunteer,

    /// <summary>五星志愿者</summary>
    FiveStarVolunteer,

    /// <summary>优秀志愿服务组织</summary>
    OutstandingOrganization,

    /// <summary>优秀志愿服务项目</summary>
    OutstandingProject,
}

/// <summary>A unit's nomination in a round: a volunteer, an organisation or a project (an activity), with the reason and the role-model story.</summary>
public sealed class Nomination
{
    public const int TextMaxLength = 5000;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid RoundId { get; set; }

    public CommendationRound? Round { get; set; }

    /// <summary>The nominating unit.</summary>
    public Guid UnitId { get; set; }

    public Guid? VolunteerId { get; set; }

    public Guid? OrganizationId { get; set; }

    public Guid? ActivityId { get; set; }

    /// <summary>Who or what is nominated, as the public sees it (a volunteer's name masked).</summary>
    public required string SubjectName { get; set; }

    public string Reason { get; set; } = "";

    /// <summary>The role-model story (先进典型事迹), published with the award.</summary>
    public string Story { get; set; } = "";

    public RecognitionStatus Status { get; set; }

    public DateTime? NoticeEndsAtUtc { get; set; }

    public DateTime? DecidedAtUtc { get; set; }

    public string? DecidedBy { get; set; }

    public string? DecisionReason { get; set; }

    public DateTime CreatedAtUtc { get; set; }

    public string CreatedBy { get; set; } = "";
}

/// <summary>A photo of a role-model story, re-encoded like activity photos.</summary>
public sealed class StoryPhoto
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid NominationId { get; set; }

    public required string ContentType { get; set; }

    public required byte[] Content { get; set; }

    public int Width { get; set; }

    public int Height { get; set; }
}

/// <summary>An objection to something on public notice (a star award or a nomination).</summary>
public sealed class Objection
{
    public const int TextMaxLength = 1000;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid? StarAwardId { get; set; }

    public Guid? NominationId { get; set; }

    public required string Text { get; set; }

    /// <summary>How to reach the objector, if they want an answer (optional; kept from the public).</summary>
    public string Contact { get; set; } = "";

    public DateTime SubmittedAtUtc { get; set; }

    /// <summary>Keyed hash of the sender's address: enough to limit floods, not to identify anyone.</summary>
    public required byte[] SourceHash { get; set; }

    public ObjectionStatus Status { get; set; }

    public string? Answer { get; set; }

    public DateTime? AnsweredAtUtc { get; set; }

    public string? AnsweredBy { get; set; }
}

public enum ObjectionStatus
{
    Open,
    Upheld,
    Dismissed,
}

/// <summary>A venue or merchant of the 守信联合激励 plan, with benefits by star level.</summary>
public sealed class IncentivePartner
{
    public const int NameMaxLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public required string Name { get; set; }

    /// <summary>Scenic spot, museum, shop …</summary>
    public string Kind { get; set; } = "";

    public string Address { get; set; } = "";

    public Guid UnitId { get; set; }

    public DateOnly ValidFrom { get; set; }

    public DateOnly ValidTo { get; set; }

    /// <summary>The secret in the staff link: whoever opens it checks certificates for this partner, and sees nothing else.</summary>
    public required string StaffKey { get; set; }

    public List<PartnerBenefit> Benefits { get; set; } = [];

    public DateTime CreatedAtUtc { get; set; }
}

public sealed class PartnerBenefit
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid PartnerId { get; set; }

    public int MinStarLevel { get; set; }

    public required string Description { get; set; }
}

/// <summary>
/// A service-record certificate (志愿服务记录证明) as issued: the lines and totals are frozen, so the
/// certificate verifies with the figures it showed even after later corrections.
/// </summary>
public sealed class ServiceCertificate
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    /// <summary>Printed serial, e.g. ZM2026-000001.</summary>
    public required string Serial { get; set; }

    public Guid VolunteerId { get; set; }

    public DateOnly? From { get; set; }

    public DateOnly? To { get; set; }

    public DateTime IssuedAtUtc { get; set; }

    /// <summary>In the QR code's link: 128 random bits, not guessable.</summary>
    public required string Code { get; set; }

    /// <summary>Typed by hand on the verification page (8 characters, no look-alikes); lookups are rate-limited.</summary>
    public required string ShortCode { get; set; }

    public int TotalMinutes { get; set; }

    /// <summary>The certificate as issued (JSON): holder, issuer, lines.</summary>
    public required string Content { get; set; }
}

sealed class RecognitionConfiguration :
    IEntityTypeConfiguration<StarAward>, IEntityTypeConfiguration<CommendationRound>, IEntityTypeConfiguration<Nomination>, IEntityTypeConfiguration<StoryPhoto>,
    IEntityTypeConfiguration<Objection>, IEntityTypeConfiguration<IncentivePartner>, IEntityTypeConfiguration<PartnerBenefit>, IEntityTypeConfiguration<ServiceCertificate>
{
    public void Configure(EntityTypeBuilder<StarAward> award)
    {
        award.HasOne(a => a.Volunteer).WithMany().HasForeignKey(a => a.VolunteerId).OnDelete(DeleteBehavior.Restrict);
        award.HasOne<Unit>().WithMany().HasForeignKey(a => a.UnitId).OnDelete(DeleteBehavior.Restrict);
        award.HasIndex(a => new { a.VolunteerId, a.Level });
        award.HasIndex(a => a.Status);
        award.Property(a => a.Status).HasConversion<string>().HasMaxLength(16);
        award.Property(a => a.DecidedBy).HasMaxLength(100);
        award.Property(a => a.CreatedBy).HasMaxLength(100);
        award.Property(a => a.Reason).HasMaxLength(StarAward.ReasonMaxLength);
    }

    public void Configure(EntityTypeBuilder<CommendationRound> round)
    {
        round.Property(r => r.Name).HasMaxLength(CommendationRound.NameMaxLength);
        round.Property(r => r.Criteria).HasMaxLength(CommendationRound.CriteriaMaxLength);
        round.Property(r => r.Kind).HasConversion<string>().HasMaxLength(32);
        round.Property(r => r.CreatedBy).HasMaxLength(100);
        round.HasOne(r => r.Unit).WithMany().HasForeignKey(r => r.UnitId).OnDelete(DeleteBehavior.Restrict);
    }

    public void Configure(EntityTypeBuilder<Nomination> nomination)
    {
        nomination.HasOne(n => n.Round).WithMany().HasForeignKey(n => n.RoundId);
        nomination.HasOne<Unit>().WithMany().HasForeignKey(n => n.UnitId).OnDelete(DeleteBehavior.Restrict);
        nomination.HasOne<Volunteer>().WithMany().HasForeignKey(n => n.VolunteerId).OnDelete(DeleteBehavior.Restrict);
        nomination.HasOne<Organization>().WithMany().HasForeignKey(n => n.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        nomination.HasOne<Activities.Activity>().WithMany().HasForeignKey(n => n.ActivityId).OnDelete(DeleteBehavior.Restrict);
        nomination.HasIndex(n => new { n.RoundId, n.Status });
        nomination.Property(n => n.Status).HasConversion<string>().HasMaxLength(16);
        nomination.Property(n => n.SubjectName).HasMaxLength(200);
        nomination.Property(n => n.Reason).HasMaxLength(Nomination.TextMaxLength);
        nomination.Property(n => n.Story).HasMaxLength(Nomination.TextMaxLength);
        nomination.Property(n => n.DecidedBy).HasMaxLength(100);
        nomination.Property(n => n.CreatedBy).HasMaxLength(100);
        nomination.Property(n => n.DecisionReason).HasMaxLength(StarAward.ReasonMaxLength);
    }

    public void Configure(EntityTypeBuilder<StoryPhoto> photo)
    {
        photo.HasOne<Nomination>().WithMany().HasForeignKey(p => p.NominationId);
        photo.Property(p => p.ContentType).HasMaxLength(32);
    }

    public void Configure(EntityTypeBuilder<Objection> objection)
    {
        objection.HasOne<StarAward>().WithMany().HasForeignKey(o => o.StarAwardId);
        objection.HasOne<Nomination>().WithMany().HasForeignKey(o => o.NominationId);
        objection.HasIndex(o => new { o.SourceHash, o.SubmittedAtUtc });
        objection.Property(o => o.Text).HasMaxLength(Objection.TextMaxLength);
        objection.Property(o => o.Contact).HasMaxLength(100);
        objection.Property(o => o.SourceHash).HasMaxLength(32);
        objection.Property(o => o.Status).HasConversion<string>().HasMaxLength(16);
        objection.Property(o => o.Answer).HasMaxLength(StarAward.ReasonMaxLength);
        objection.Property(o => o.AnsweredBy).HasMaxLength(100);
    }

    public void Configure(EntityTypeBuilder<IncentivePartner> partner)
    {
        partner.Property(p => p.Name).HasMaxLength(IncentivePartner.NameMaxLength);
        partner.Property(p => p.Kind).HasMaxLength(50);
        partner.Property(p => p.Address).HasMaxLength(200);
        partner.Property(p => p.StaffKey).HasMaxLength(64);
        partner.HasIndex(p => p.StaffKey).IsUnique();
        partner.HasOne<Unit>().WithMany().HasForeignKey(p => p.UnitId).OnDelete(DeleteBehavior.Restrict);
        partner.HasMany(p => p.Benefits).WithOne().HasForeignKey(b => b.PartnerId);
    }

    public void Configure(EntityTypeBuilder<PartnerBenefit> benefit) => benefit.Property(b => b.Description).HasMaxLength(200);

    public void Configure(EntityTypeBuilder<ServiceCertificate> certificate)
    {
        certificate.HasOne<Volunteer>().WithMany().HasForeignKey(c => c.VolunteerId).OnDelete(DeleteBehavior.Restrict);
        certificate.HasIndex(c => c.Serial).IsUnique();
        certificate.HasIndex(c => c.Code).IsUnique();
        certificate.HasIndex(c => c.ShortCode).IsUnique();
        certificate.HasIndex(c => c.VolunteerId);
        certificate.Property(c => c.Serial).HasMaxLength(20);
        certificate.Property(c => c.Code).HasMaxLength(32);
        certificate.Property(c => c.ShortCode).HasMaxLength(8);
    }
}
