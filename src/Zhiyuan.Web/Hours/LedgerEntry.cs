using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Units;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Hours;

/// <summary>
/// One line of the service-hour ledger (服务时长): confirmed minutes a volunteer served in a session.
/// Append-only — the database refuses updates and deletes; a correction is a reversal (negative
/// minutes, pointing at the entry it cancels) plus a new entry, each saying who, when and why.
/// </summary>
public sealed class LedgerEntry
{
    public const int ReasonMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid VolunteerId { get; set; }

    public Volunteer? Volunteer { get; set; }

    public Guid SessionId { get; set; }

    public ActivitySession? Session { get; set; }

    public Guid ActivityId { get; set; }

    public Activity? Activity { get; set; }

    /// <summary>The host organisation, as it was at the time of service.</summary>
    public Guid OrganizationId { get; set; }

    public Organization? Organization { get; set; }

    /// <summary>The volunteer's own unit at the time of service, so that a later move changes no report.</summary>
    public Guid VolunteerUnitId { get; set; }

    public Unit? VolunteerUnit { get; set; }

    /// <summary>The credited time, inside the session window.</summary>
    public DateTime StartUtc { get; set; }

    public DateTime EndUtc { get; set; }

    /// <summary>Whole minutes credited; negative for a reversal.</summary>
    public int Minutes { get; set; }

    public LedgerEntryKind Kind { get; set; }

    /// <summary>For a reversal: the entry it cancels.</summary>
    public Guid? ReversesEntryId { get; set; }

    public DateTime RecordedAtUtc { get; set; }

    public required string RecordedBy { get; set; }

    /// <summary>Why a correction was made; empty for a plain confirmation.</summary>
    public string Reason { get; set; } = "";

    /// <summary>The volunteer checked in but not out; the time ran to the session's end.</summary>
    public bool CheckOutMissing { get; set; }

    /// <summary>Hours of a back-entered activity (补录), credited when the unit above approved it; reversals and corrections keep the mark.</summary>
    public bool IsBackEntry { get; set; }
}

/// <summary>
/// A stretch of time that an effective ledger entry (a confirmation or correction not reversed)
/// credits to a volunteer. Usually one per entry; two or more when the attendance surrounded time
/// already credited elsewhere (the entry's window then holds gaps that are not its own). Written
/// with the entry; a trigger removes an entry's stretches when it is reversed. The database refuses
/// what must never happen: two stretches of one volunteer overlapping in time (an exclusion
/// constraint on PostgreSQL, a trigger on SQLite) — so the same hour can never be credited twice,
/// by a double click, a second node or another organisation. See ADR 0011.
/// </summary>
public sealed class EffectiveCredit
{
    public Guid EntryId { get; set; }

    public Guid VolunteerId { get; set; }

    public Guid SessionId { get; set; }

    public DateTime StartUtc { get; set; }

    public DateTime EndUtc { get; set; }
}

public enum LedgerEntryKind
{
    /// <summary>Hours confirmed from attendance.</summary>
    Confirmed,

    /// <summary>Cancels an earlier entry.</summary>
    Reversal,

    /// <summary>Replaces a reversed entry with corrected times.</summary>
    Correction,
}

/// <summary>A volunteer's request to correct a ledger entry (or a session they attended but were not credited for).</summary>
public sealed class CorrectionRequest
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid VolunteerId { get; set; }

    public Volunteer? Volunteer { get; set; }

    public Guid SessionId { get; set; }

    public ActivitySession? Session { get; set; }

    public required string Message { get; set; }

    public DateTime RequestedAtUtc { get; set; }

    public CorrectionStatus Status { get; set; }

    public DateTime? DecidedAtUtc { get; set; }

    public string? DecidedBy { get; set; }

    public string? Response { get; set; }
}

public enum CorrectionStatus
{
    Open,
    Corrected,
    Declined,
}

sealed class LedgerEntryConfiguration : IEntityTypeConfiguration<LedgerEntry>
{
    public void Configure(EntityTypeBuilder<LedgerEntry> entry)
    {
        entry.HasOne(e => e.Volunteer).WithMany().HasForeignKey(e => e.VolunteerId).OnDelete(DeleteBehavior.Restrict);
        entry.HasOne(e => e.Session).WithMany().HasForeignKey(e => e.SessionId).OnDelete(DeleteBehavior.Restrict);
        entry.HasOne(e => e.Activity).WithMany().HasForeignKey(e => e.ActivityId).OnDelete(DeleteBehavior.Restrict);
        entry.HasOne(e => e.Organization).WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        entry.HasOne(e => e.VolunteerUnit).WithMany().HasForeignKey(e => e.VolunteerUnitId).OnDelete(DeleteBehavior.Restrict);
        entry.HasOne<LedgerEntry>().WithMany().HasForeignKey(e => e.ReversesEntryId).OnDelete(DeleteBehavior.Restrict);
        // A reversal cancels one entry, once.
        entry.HasIndex(e => e.ReversesEntryId).IsUnique();
        entry.HasIndex(e => new { e.VolunteerId, e.StartUtc });
        // Covers the statistics table's ledger aggregate (person-times and minutes of a week's sessions):
        // read from the index alone, about three times faster than fetching each entry (docs/performance.md, "Campaign reports").
        entry.HasIndex(e => new { e.SessionId, e.Kind, e.Minutes });
        entry.HasIndex(e => e.VolunteerUnitId);
        entry.HasIndex(e => e.OrganizationId);
        entry.Property(e => e.Kind).HasConversion<string>().HasMaxLength(16);
        entry.Property(e => e.RecordedBy).HasMaxLength(100);
        entry.Property(e => e.Reason).HasMaxLength(LedgerEntry.ReasonMaxLength);
    }
}

sealed class EffectiveCreditConfiguration : IEntityTypeConfiguration<EffectiveCredit>
{
    public void Configure(EntityTypeBuilder<EffectiveCredit> credit)
    {
        credit.HasKey(c => new { c.EntryId, c.StartUtc });
        credit.HasOne<LedgerEntry>().WithMany().HasForeignKey(c => c.EntryId).OnDelete(DeleteBehavior.Restrict);
        // What a credit credits: one volunteer's time in one session from a start; a second
        // confirmation of the same attendance fails here even before the overlap rule.
        credit.HasIndex(c => new { c.SessionId, c.VolunteerId, c.StartUtc }).IsUnique();
        credit.HasIndex(c => new { c.VolunteerId, c.StartUtc });
        credit.ToTable(t => t.HasCheckConstraint("CK_EffectiveCredits_Span", "\"EndUtc\" > \"StartUtc\""));
    }
}

sealed class CorrectionRequestConfiguration : IEntityTypeConfiguration<CorrectionRequest>
{
    public void Configure(EntityTypeBuilder<CorrectionRequest> request)
    {
        request.HasOne(r => r.Volunteer).WithMany().HasForeignKey(r => r.VolunteerId).OnDelete(DeleteBehavior.Restrict);
        request.HasOne(r => r.Session).WithMany().HasForeignKey(r => r.SessionId).OnDelete(DeleteBehavior.Restrict);
        request.HasIndex(r => new { r.SessionId, r.Status });
        request.HasIndex(r => r.VolunteerId);
        request.Property(r => r.Message).HasMaxLength(LedgerEntry.ReasonMaxLength);
        request.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        request.Property(r => r.DecidedBy).HasMaxLength(100);
        request.Property(r => r.Response).HasMaxLength(LedgerEntry.ReasonMaxLength);
    }
}
