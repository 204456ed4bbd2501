using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Units;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Patrols;

/// <summary>A government department that receives patrol findings (交警、城管、环保 …).</summary>
public sealed class Department
{
    public const int NameMaxLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public required string Name { get; set; }

    /// <summary>Where the department sits; administrators of that subtree manage it.</summary>
    public Guid UnitId { get; set; }

    public Unit? Unit { get; set; }

    public DateTime CreatedAtUtc { get; set; }
}

/// <summary>An account (role DepartmentLiaison) that answers for a department: it sees that department's findings and nothing else.</summary>
public sealed class DepartmentLiaison
{
    public Guid DepartmentId { get; set; }

    public required string UserId { get; set; }

    public AppUser? User { get; set; }
}

/// <summary>A patrol team (市民志愿巡访团, 河小青 …): some of an organisation's volunteers.</summary>
public sealed class PatrolTeam
{
    public const int NameMaxLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public required string Name { get; set; }

    public Guid OrganizationId { get; set; }

    public Organization? Organization { get; set; }

    public Guid UnitId { get; set; }

    /// <summary>A 河小青 river-guarding team: its river-pollution findings carry water-quality readings.</summary>
    public bool IsRiverTeam { get; set; }

    public DateTime CreatedAtUtc { get; set; }

    public List<PatrolTeamMember> Members { get; set; } = [];
}

public sealed class PatrolTeamMember
{
    public Guid TeamId { get; set; }

    public Guid VolunteerId { get; set; }

    public Volunteer? Volunteer { get; set; }
}

public enum PatrolMode
{
    /// <summary>明访: announced, the round is public.</summary>
    Open,

    /// <summary>暗访: unannounced; the round is private work, never shown to the public (it still counts in reports once finished).</summary>
    Undercover,
}

/// <summary>A patrol round: a team inspects an area on a date. It is an activity, so its hours and figures go where all others go.</summary>
public sealed class PatrolRound
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TeamId { get; set; }

    public PatrolTeam? Team { get; set; }

    public PatrolMode Mode { get; set; }

    public required string Area { get; set; }

    public DateTime StartsAtUtc { get; set; }

    public DateTime EndsAtUtc { get; set; }

    public Guid ActivityId { get; set; }

    public Guid SessionId { get; set; }

    public DateTime? FinishedAtUtc { get; set; }
}

public enum FindingCategory
{
    Traffic,
    Sanitation,
    IllegalAdverts,
    PublicFacilities,
    ServiceWindows,
    RiverPollution,
}

public enum FindingStatus
{
    /// <summary>Sent to the department, waiting for its answer.</summary>
    Open,

    /// <summary>The department answered with its rectification; the patrol checks it.</summary>
    Answered,

    /// <summary>The patrol verified the rectification.</summary>
    Closed,

    /// <summary>The patrol found the rectification wanting; back with the department.</summary>
    Reopened,
}

/// <summary>A problem found on a patrol, routed to a department with a rectification suggestion.</summary>
public sealed class Finding
{
    public const int TextMaxLength = 1000;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid RoundId { get; set; }

    public PatrolRound? Round { get; set; }

    /// <summary>The team's unit: the subtree whose administrators see the finding.</summary>
    public Guid UnitId { get; set; }

    public required string Place { get; set; }

    public FindingCategory Category { get; set; }

    public required string Description { get; set; }

    public string Suggestion { get; set; } = "";

    /// <summary>Water-quality readings (河小青): pH, dissolved oxygen (mg/L), turbidity (NTU).</summary>
    public double? WaterPh { get; set; }

    public double? WaterDissolvedOxygen { get; set; }

    public double? WaterTurbidity { get; set; }

    public Guid DepartmentId { get; set; }

    public Department? Department { get; set; }

    public FindingStatus Status { get; set; }

    public DateTime ReportedAtUtc { get; set; }

    public required string ReportedBy { get; set; }

    /// <summary>When the department's answer is due; moved on when the finding is reopened.</summary>
    public DateTime DueAtUtc { get; set; }

    public string? Answer { get; set; }

    public DateTime? AnsweredAtUtc { get; set; }

    public string? AnsweredBy { get; set; }

    public string? VerifyComment { get; set; }

    public DateTime? ClosedAtUtc { get; set; }

    public int ReopenCount { get; set; }

    public List<FindingPhoto> Photos { get; set; } = [];
}

public enum FindingPhotoKind
{
    /// <summary>Taken by the patrol when filing.</summary>
    Problem,

    /// <summary>Sent by the department with its answer.</summary>
    Rectification,
}

public sealed class FindingPhoto
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid FindingId { get; set; }

    public FindingPhotoKind Kind { get; set; }

    public required string ContentType { get; set; }

    public required byte[] Content { get; set; }
}

sealed class DepartmentConfiguration : IEntityTypeConfiguration<Department>
{
    public void Configure(EntityTypeBuilder<Department> department)
    {
        department.Property(d => d.Name).HasMaxLength(Department.NameMaxLength);
        department.HasIndex(d => d.Name).IsUnique();
        department.HasOne(d => d.Unit).WithMany().HasForeignKey(d => d.UnitId).OnDelete(DeleteBehavior.Restrict);
    }
}

sealed class DepartmentLiaisonConfiguration : IEntityTypeConfiguration<DepartmentLiaison>
{
    public void Configure(EntityTypeBuilder<DepartmentLiaison> liaison)
    {
        liaison.HasKey(l => new { l.DepartmentId, l.UserId });
        liaison.HasOne<Department>().WithMany().HasForeignKey(l => l.DepartmentId);
        liaison.HasOne(l => l.User).WithMany().HasForeignKey(l => l.UserId);
        liaison.HasIndex(l => l.UserId);
    }
}

sealed class PatrolTeamConfiguration : IEntityTypeConfiguration<PatrolTeam>
{
    public void Configure(EntityTypeBuilder<PatrolTeam> team)
    {
        team.Property(t => t.Name).HasMaxLength(PatrolTeam.NameMaxLength);
        team.HasOne(t => t.Organization).WithMany().HasForeignKey(t => t.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        team.HasOne<Unit>().WithMany().HasForeignKey(t => t.UnitId).OnDelete(DeleteBehavior.Restrict);
        team.HasMany(t => t.Members).WithOne().HasForeignKey(m => m.TeamId);
    }
}

sealed class PatrolTeamMemberConfiguration : IEntityTypeConfiguration<PatrolTeamMember>
{
    public void Configure(EntityTypeBuilder<PatrolTeamMember> member)
    {
        member.HasKey(m => new { m.TeamId, m.VolunteerId });
        member.HasOne(m => m.Volunteer).WithMany().HasForeignKey(m => m.VolunteerId).OnDelete(DeleteBehavior.Restrict);
        member.HasIndex(m => m.VolunteerId);
    }
}

sealed class PatrolRoundConfiguration : IEntityTypeConfiguration<PatrolRound>
{
    public void Configure(EntityTypeBuilder<PatrolRound> round)
    {
        round.Property(r => r.Area).HasMaxLength(200);
        round.Property(r => r.Mode).HasConversion<string>().HasMaxLength(16);
        round.HasOne(r => r.Team).WithMany().HasForeignKey(r => r.TeamId).OnDelete(DeleteBehavior.Restrict);
        round.HasOne<Activity>().WithMany().HasForeignKey(r => r.ActivityId).OnDelete(DeleteBehavior.Restrict);
        round.HasIndex(r => new { r.TeamId, r.StartsAtUtc });
    }
}

sealed class FindingConfiguration : IEntityTypeConfiguration<Finding>
{
    public void Configure(EntityTypeBuilder<Finding> finding)
    {
        finding.Property(f => f.Place).HasMaxLength(200);
        finding.Property(f => f.Description).HasMaxLength(Finding.TextMaxLength);
        finding.Property(f => f.Suggestion).HasMaxLength(Finding.TextMaxLength);
        finding.Property(f => f.Answer).HasMaxLength(Finding.TextMaxLength);
        finding.Property(f => f.VerifyComment).HasMaxLength(Finding.TextMaxLength);
        finding.Property(f => f.ReportedBy).HasMaxLength(100);
        finding.Property(f => f.AnsweredBy).HasMaxLength(100);
        finding.Property(f => f.Category).HasConversion<string>().HasMaxLength(20);
        finding.Property(f => f.Status).HasConversion<string>().HasMaxLength(16);
        finding.HasOne(f => f.Round).WithMany().HasForeignKey(f => f.RoundId).OnDelete(DeleteBehavior.Restrict);
        finding.HasOne(f => f.Department).WithMany().HasForeignKey(f => f.DepartmentId).OnDelete(DeleteBehavior.Restrict);
        finding.HasOne<Unit>().WithMany().HasForeignKey(f => f.UnitId).OnDelete(DeleteBehavior.Restrict);
        finding.HasMany(f => f.Photos).WithOne().HasForeignKey(p => p.FindingId);
        finding.HasIndex(f => new { f.DepartmentId, f.Status });
        finding.HasIndex(f => new { f.UnitId, f.Status });
    }
}

sealed class FindingPhotoConfiguration : IEntityTypeConfiguration<FindingPhoto>
{
    public void Configure(EntityTypeBuilder<FindingPhoto> photo)
    {
        photo.Property(p => p.ContentType).HasMaxLength(32);
        photo.Property(p => p.Kind).HasConversion<string>().HasMaxLength(16);
    }
}
