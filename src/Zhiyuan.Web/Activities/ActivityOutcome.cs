using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Zhiyuan.Web.Activities;

/// <summary>
/// What an activity achieved, recorded by its organisation afterwards: the source of the campaign tables.
/// Kept in versions, never overwritten: each save adds a revision recorded at <see cref="UpdatedAtUtc"/> and
/// marks the one before superseded, so a table can be recomputed as the records stood at any moment
/// (docs/reporting.md, "As-of verification"). The current version is the one not superseded.
/// </summary>
public sealed class ActivityOutcome
{
    public Guid ActivityId { get; set; }

    /// <summary>1 for the first save of the activity's outcome, one more for each later one.</summary>
    public int Revision { get; set; } = 1;

    /// <summary>When a later revision replaced this one; null for the current revision.</summary>
    public DateTime? SupersededAtUtc { get; set; }

    /// <summary>Money and materials put in, in yuan (投入资金及物料).</summary>
    public decimal MoneyAndMaterialsYuan { get; set; }

    public int PrintReports { get; set; }

    public int WebsiteReports { get; set; }

    public string NewsText { get; set; } = "";

    /// <summary>When this revision was recorded.</summary>
    public DateTime UpdatedAtUtc { get; set; }
}

/// <summary>Person-times served for one population type (覆盖人群 / 服务人次); a line of one revision of the outcome, carrying its times.</summary>
public sealed class PopulationServed
{
    public Guid ActivityId { get; set; }

    public int Revision { get; set; } = 1;

    /// <summary>The revision's recording time (the outcome's <see cref="ActivityOutcome.UpdatedAtUtc"/>).</summary>
    public DateTime RecordedAtUtc { get; set; }

    public DateTime? SupersededAtUtc { get; set; }

    public PopulationTypes PopulationType { get; set; }

    public int PersonTimes { get; set; }
}

/// <summary>A web or WeChat report of the activity and how often it was read.</summary>
public sealed class MediaLink
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid ActivityId { get; set; }

    public int Revision { get; set; } = 1;

    public DateTime RecordedAtUtc { get; set; }

    public DateTime? SupersededAtUtc { get; set; }

    public required string Url { get; set; }

    public int Reads { get; set; }
}

/// <summary>A photo of an activity, stored re-encoded so that no camera metadata (location, device) survives.</summary>
public sealed class ActivityPhoto
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid ActivityId { get; set; }

    public required string ContentType { get; set; }

    public required byte[] Content { get; set; }

    public int Width { get; set; }

    public int Height { get; set; }

    public DateTime UploadedAtUtc { get; set; }
}

sealed class ActivityOutcomeConfiguration : IEntityTypeConfiguration<ActivityOutcome>
{
    public void Configure(EntityTypeBuilder<ActivityOutcome> outcome)
    {
        outcome.HasKey(o => new { o.ActivityId, o.Revision });
        outcome.HasOne<Activity>().WithMany().HasForeignKey(o => o.ActivityId);
        // One current revision per activity: a second save racing the first cannot leave two.
        outcome.HasIndex(o => o.ActivityId).IsUnique().HasFilter("\"SupersededAtUtc\" IS NULL");
        outcome.Property(o => o.MoneyAndMaterialsYuan).HasPrecision(14, 2);
        outcome.Property(o => o.NewsText).HasMaxLength(Activity.TextMaxLength);
    }
}

sealed class PopulationServedConfiguration : IEntityTypeConfiguration<PopulationServed>
{
    public void Configure(EntityTypeBuilder<PopulationServed> served)
    {
        served.HasKey(p => new { p.ActivityId, p.Revision, p.PopulationType });
        // Lines belong to the outcome revision of the same number (kept apart from it, so that SQLite rebuilds no key it depends on).
        served.HasOne<Activity>().WithMany().HasForeignKey(p => p.ActivityId);
        served.Property(p => p.PopulationType).HasConversion<string>().HasMaxLength(32);
    }
}

sealed class MediaLinkConfiguration : IEntityTypeConfiguration<MediaLink>
{
    public void Configure(EntityTypeBuilder<MediaLink> link)
    {
        link.Property(m => m.Url).HasMaxLength(500);
        link.HasIndex(m => m.ActivityId);
        link.HasOne<Activity>().WithMany().HasForeignKey(m => m.ActivityId);
    }
}

sealed class ActivityPhotoConfiguration : IEntityTypeConfiguration<ActivityPhoto>
{
    public void Configure(EntityTypeBuilder<ActivityPhoto> photo)
    {
        photo.HasOne<Activity>().WithMany().HasForeignKey(p => p.ActivityId);
        photo.HasIndex(p => p.ActivityId);
        photo.Property(p => p.ContentType).HasMaxLength(20);
    }
}
