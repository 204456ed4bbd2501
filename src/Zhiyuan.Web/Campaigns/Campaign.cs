using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Units;

namespace Zhiyuan.Web.Campaigns;

/// <summary>
/// A campaign (行动月) run from a unit (usually the city federation): a window of dates cut into
/// reporting periods, each with a statistics table due from every expected unit, and a final summary.
/// </summary>
public sealed class Campaign
{
    public const int NameMaxLength = 100;
    public const int ContactMaxLength = 50;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public required string Name { get; set; }

    public string Theme { get; set; } = "";

    /// <summary>The unit that runs the campaign; its administrators review the reports of the units below.</summary>
    public Guid RootUnitId { get; set; }

    public Unit? RootUnit { get; set; }

    /// <summary>First and last day of the window, China dates, inclusive.</summary>
    public DateOnly StartDate { get; set; }

    public DateOnly EndDate { get; set; }

    /// <summary>Reports are due on this weekday at <see cref="DueHour"/> China time: Friday 00:00 is "before each Friday".</summary>
    public DayOfWeek DueDay { get; set; } = DayOfWeek.Friday;

    public int DueHour { get; set; }

    /// <summary>The final summary is due on this day at <see cref="DueHour"/> ("before 3 April" is 3 April 00:00).</summary>
    public DateOnly FinalDueDate { get; set; }

    /// <summary>Levels below the root unit that must report (1: counties, colleges and member units).</summary>
    public int ReportingDepth { get; set; } = 1;

    /// <summary>How long before a due time the reminder goes out.</summary>
    public int ReminderHoursBefore { get; set; } = 24;

    public string ContactName { get; set; } = "";

    public string ContactPhone { get; set; } = "";

    public DateTime OpenedAtUtc { get; set; }

    public string OpenedBy { get; set; } = "";

    public List<CampaignPeriod> Periods { get; set; } = [];

    public List<CampaignUnit> Units { get; set; } = [];
}

/// <summary>A reporting period (usually a week). Number 0 is never a period: it stands for the final summary.</summary>
public sealed class CampaignPeriod
{
    public Guid CampaignId { get; set; }

    public int Number { get; set; }

    public DateOnly StartDate { get; set; }

    public DateOnly EndDate { get; set; }

    public DateTime DueAtUtc { get; set; }
}

/// <summary>
/// A unit expected to report, as the tree was when the campaign opened: later moves, renames and
/// deactivations do not change who was expected, nor under whom.
/// </summary>
public sealed class CampaignUnit
{
    public Guid CampaignId { get; set; }

    public Guid UnitId { get; set; }

    /// <summary>The expected unit directly above (null for the campaign's root unit).</summary>
    public Guid? ParentUnitId { get; set; }

    public required string Code { get; set; }

    public required string Name { get; set; }

    public UnitType Type { get; set; }

    /// <summary>The unit's path when the campaign opened, so that "a subtree's units" keeps meaning the same units.</summary>
    public required string Path { get; set; }

    public int SortOrder { get; set; }

    /// <summary>
    /// Null for the units of the snapshot taken when the campaign opened. For a unit the city added
    /// later, when: it is expected for the periods (and the final summary) due after this moment only.
    /// </summary>
    public DateTime? AddedAtUtc { get; set; }

    /// <summary>Whether the unit is expected to report for a period due at this time.</summary>
    public bool ExpectedFor(DateTime dueAtUtc) => AddedAtUtc is not { } added || added < dueAtUtc;
}

/// <summary>One unit's report for one period (or, with <see cref="PeriodNumber"/> 0, its final summary).</summary>
public sealed class CampaignReport
{
    public const int CommentMaxLength = 500;
    public const int NarrativeMaxLength = 20_000;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid CampaignId { get; set; }

    public Guid UnitId { get; set; }

    public int PeriodNumber { get; set; }

    public ReportStatus Status { get; set; }

    /// <summary>The first submission decides "on time" or "late"; a resubmission after a return does not.</summary>
    public DateTime? FirstSubmittedAtUtc { get; set; }

    public DateTime? SubmittedAtUtc { get; set; }

    /// <summary>The table as computed at the latest submission (JSON of <see cref="ReportTable"/>); never recomputed.</summary>
    public string? FrozenTable { get; set; }

    public DateTime? FrozenAtUtc { get; set; }

    public int? ComputationVersion { get; set; }

    /// <summary>
    /// What the frozen table's rows were made of that is not kept in versions — each activity's title, host,
    /// organisations and first and last session (JSON of <see cref="ReportBasis"/>) — stored with the table, so
    /// that the as-of check recomputes every figure from the versioned records as they stood at the freezing time.
    /// </summary>
    public string? FrozenBasis { get; set; }

    /// <summary>The reviewer's comment on a return, or the reason for a waiver.</summary>
    public string? ReviewComment { get; set; }

    public DateTime? ReviewedAtUtc { get; set; }

    public string? ReviewedBy { get; set; }

    public string ContactName { get; set; } = "";

    public string ContactPhone { get; set; } = "";

    /// <summary>Final summary only: the written account, news links, and role-model stories.</summary>
    public string Narrative { get; set; } = "";

    public string NewsLinks { get; set; } = "";

    public string RoleModelStories { get; set; } = "";

    public DateTime UpdatedAtUtc { get; set; }

    /// <summary>Bumped by every change, so that two people acting on the same report cannot both win.</summary>
    public int Version { get; set; }

    public List<TypedInRow> TypedInRows { get; set; } = [];
}

public enum ReportStatus
{
    Draft,
    Submitted,
    Returned,
    Approved,

    /// <summary>The reviewer excused the unit from this report (with a reason).</summary>
    Waived,
}

/// <summary>
/// A row a unit typed in for an activity run outside the platform; always shown as typed-in. Kept in versions:
/// an edit adds a new row (<see cref="ReplacesId"/>) and marks the old one superseded, a removal only marks it;
/// current reads take the rows not superseded.
/// </summary>
public sealed class TypedInRow
{
    public const int NameMaxLength = 200;
    public const int LinksMaxLength = 4000;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid ReportId { get; set; }

    /// <summary>Table 1 (activities) or table 2 (media).</summary>
    public bool IsMedia { get; set; }

    public required string Name { get; set; }

    public int PersonTimes { get; set; }

    public int Organizations { get; set; }

    public string PopulationTypes { get; set; } = "";

    public int PopulationPersonTimes { get; set; }

    public int Minutes { get; set; }

    public decimal MoneyYuan { get; set; }

    public int PrintReports { get; set; }

    public int WebsiteReports { get; set; }

    /// <summary>Links, one per line.</summary>
    public string Links { get; set; } = "";

    public int Reads { get; set; }

    /// <summary>When the row was first typed in (edits keep it, so the row keeps its place in the table).</summary>
    public DateTime CreatedAtUtc { get; set; }

    public string CreatedBy { get; set; } = "";

    /// <summary>When this version was recorded: the first entry's time, or the edit's.</summary>
    public DateTime RecordedAtUtc { get; set; }

    /// <summary>When an edit or a removal replaced this version; null while it is current.</summary>
    public DateTime? SupersededAtUtc { get; set; }

    /// <summary>The version this one replaced (an edit); null for a row as first typed in.</summary>
    public Guid? ReplacesId { get; set; }
}

/// <summary>A screenshot attached to a final summary (news pages, WeChat posts), re-encoded like activity photos.</summary>
public sealed class SummaryScreenshot
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid ReportId { get; set; }

    public required string ContentType { get; set; }

    public required byte[] Content { get; set; }

    public int Width { get; set; }

    public int Height { get; set; }

    public DateTime UploadedAtUtc { get; set; }
}

/// <summary>An email about a report (reminder, overdue notice, receipt): recorded once, then sent by whichever node claims it.</summary>
public sealed class CampaignNotice
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid CampaignId { get; set; }

    public Guid UnitId { get; set; }

    public int PeriodNumber { get; set; }

    public NoticeKind Kind { get; set; }

    public DateTime CreatedAtUtc { get; set; }

    /// <summary>A node that claimed the notice holds it until then; after that another may retry.</summary>
    public DateTime? ClaimedUntilUtc { get; set; }

    public DateTime? SentAtUtc { get; set; }

    public string Recipients { get; set; } = "";

    public int Attempts { get; set; }

    public string? LastError { get; set; }
}

public enum NoticeKind
{
    Reminder,
    Overdue,
    Receipt,
}

/// <summary>The campaign's package for the province: frozen, with the SHA-256 of its bytes.</summary>
public sealed class CampaignPackage
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid CampaignId { get; set; }

    public required string ContentHash { get; set; }

    public required byte[] Content { get; set; }

    public DateTime CreatedAtUtc { get; set; }

    public string CreatedBy { get; set; } = "";
}

sealed class CampaignConfiguration : IEntityTypeConfiguration<Campaign>
{
    public void Configure(EntityTypeBuilder<Campaign> campaign)
    {
        campaign.Property(c => c.Name).HasMaxLength(Campaign.NameMaxLength);
        campaign.HasIndex(c => c.Name).IsUnique();
        campaign.Property(c => c.Theme).HasMaxLength(Campaign.NameMaxLength);
        campaign.Property(c => c.ContactName).HasMaxLength(Campaign.ContactMaxLength);
        campaign.Property(c => c.ContactPhone).HasMaxLength(Campaign.ContactMaxLength);
        campaign.Property(c => c.OpenedBy).HasMaxLength(100);
        campaign.Property(c => c.DueDay).HasConversion<string>().HasMaxLength(16);
        campaign.HasOne(c => c.RootUnit).WithMany().HasForeignKey(c => c.RootUnitId).OnDelete(DeleteBehavior.Restrict);
        campaign.HasMany(c => c.Periods).WithOne().HasForeignKey(p => p.CampaignId);
        campaign.HasMany(c => c.Units).WithOne().HasForeignKey(u => u.CampaignId);
    }
}

sealed class CampaignPeriodConfiguration : IEntityTypeConfiguration<CampaignPeriod>
{
    public void Configure(EntityTypeBuilder<CampaignPeriod> period) => period.HasKey(p => new { p.CampaignId, p.Number });
}

sealed class CampaignUnitConfiguration : IEntityTypeConfiguration<CampaignUnit>
{
    public void Configure(EntityTypeBuilder<CampaignUnit> unit)
    {
        unit.HasKey(u => new { u.CampaignId, u.UnitId });
        unit.Property(u => u.Code).HasMaxLength(Unit.CodeMaxLength);
        unit.Property(u => u.Name).HasMaxLength(Unit.NameMaxLength);
        unit.Property(u => u.Type).HasConversion<string>().HasMaxLength(32);
        unit.Property(u => u.Path).HasMaxLength(1024);
        unit.HasOne<Unit>().WithMany().HasForeignKey(u => u.UnitId).OnDelete(DeleteBehavior.Restrict);
    }
}

sealed class CampaignReportConfiguration : IEntityTypeConfiguration<CampaignReport>
{
    public void Configure(EntityTypeBuilder<CampaignReport> report)
    {
        report.HasOne<Campaign>().WithMany().HasForeignKey(r => r.CampaignId);
        report.HasOne<Unit>().WithMany().HasForeignKey(r => r.UnitId).OnDelete(DeleteBehavior.Restrict);
        report.HasIndex(r => new { r.CampaignId, r.PeriodNumber, r.UnitId }).IsUnique();
        report.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        report.Property(r => r.ReviewComment).HasMaxLength(CampaignReport.CommentMaxLength);
        report.Property(r => r.ReviewedBy).HasMaxLength(100);
        report.Property(r => r.ContactName).HasMaxLength(Campaign.ContactMaxLength);
        report.Property(r => r.ContactPhone).HasMaxLength(Campaign.ContactMaxLength);
        report.Property(r => r.Narrative).HasMaxLength(CampaignReport.NarrativeMaxLength);
        report.Property(r => r.NewsLinks).HasMaxLength(TypedInRow.LinksMaxLength);
        report.Property(r => r.RoleModelStories).HasMaxLength(CampaignReport.NarrativeMaxLength);
        report.Property(r => r.Version).IsConcurrencyToken();
        report.HasMany(r => r.TypedInRows).WithOne().HasForeignKey(t => t.ReportId);
    }
}

sealed class TypedInRowConfiguration : IEntityTypeConfiguration<TypedInRow>
{
    public void Configure(EntityTypeBuilder<TypedInRow> row)
    {
        row.Property(r => r.Name).HasMaxLength(TypedInRow.NameMaxLength);
        row.Property(r => r.PopulationTypes).HasMaxLength(TypedInRow.NameMaxLength);
        row.Property(r => r.MoneyYuan).HasPrecision(14, 2);
        row.Property(r => r.Links).HasMaxLength(TypedInRow.LinksMaxLength);
        row.Property(r => r.CreatedBy).HasMaxLength(100);
        // One edit of a version: a second edit of the same version finds it replaced.
        row.HasIndex(r => r.ReplacesId).IsUnique();
    }
}

sealed class SummaryScreenshotConfiguration : IEntityTypeConfiguration<SummaryScreenshot>
{
    public void Configure(EntityTypeBuilder<SummaryScreenshot> shot)
    {
        shot.HasOne<CampaignReport>().WithMany().HasForeignKey(s => s.ReportId);
        shot.Property(s => s.ContentType).HasMaxLength(32);
    }
}

sealed class CampaignNoticeConfiguration : IEntityTypeConfiguration<CampaignNotice>
{
    public void Configure(EntityTypeBuilder<CampaignNotice> notice)
    {
        notice.HasOne<Campaign>().WithMany().HasForeignKey(n => n.CampaignId);
        // Each notice exists once, whichever node noticed it was due first.
        notice.HasIndex(n => new { n.CampaignId, n.UnitId, n.PeriodNumber, n.Kind }).IsUnique();
        notice.HasIndex(n => n.SentAtUtc);
        notice.Property(n => n.Kind).HasConversion<string>().HasMaxLength(16);
        notice.Property(n => n.Recipients).HasMaxLength(2000);
        notice.Property(n => n.LastError).HasMaxLength(500);
    }
}

sealed class CampaignPackageConfiguration : IEntityTypeConfiguration<CampaignPackage>
{
    public void Configure(EntityTypeBuilder<CampaignPackage> package)
    {
        package.HasOne<Campaign>().WithMany().HasForeignKey(p => p.CampaignId);
        package.Property(p => p.ContentHash).HasMaxLength(64);
        package.Property(p => p.CreatedBy).HasMaxLength(100);
    }
}
