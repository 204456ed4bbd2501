using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Zhiyuan.Web.Activities;

/// <summary>What an activity achieved, recorded by its organisation afterwards: the source of the campaign tables.</summary>
public sealed class ActivityOutcome
{
    public Guid ActivityId { get; set; }

    /// <summary>Money and materials put in, in yuan (投入资金及物料).</summary>
    public decimal MoneyAndMaterialsYuan { get; set; }

    public int PrintReports { get; set; }

    public int WebsiteReports { get; set; }

    public string NewsText { get; set; } = "";

    public DateTime UpdatedAtUtc { get; set; }

    public List<PopulationServed> PopulationServed { get; set; } = [];

    public List<MediaLink> MediaLinks { get; set; } = [];
}

/// <summary>Person-times served for one population type (覆盖人群 / 服务人次).</summary>
public sealed class PopulationServed
{
    public Guid ActivityId { get; set; }

    public PopulationTypes PopulationType { get; set; }

    public int PersonTimes { get; set; }
}

/// <summary>A web or WeChat report of the activity and how often it was read.</summary>
public sealed class MediaLink
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid ActivityId { get; set; }

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
        outcome.HasKey(o => o.ActivityId);
        outcome.HasOne<Activity>().WithOne().HasForeignKey<ActivityOutcome>(o => o.ActivityId);
        outcome.Property(o => o.MoneyAndMaterialsYuan).HasPrecision(14, 2);
        outcome.Property(o => o.NewsText).HasMaxLength(Activity.TextMaxLength);
        outcome.HasMany(o => o.PopulationServed).WithOne().HasForeignKey(p => p.ActivityId);
        outcome.HasMany(o => o.MediaLinks).WithOne().HasForeignKey(m => m.ActivityId);
    }
}

sealed class PopulationServedConfiguration : IEntityTypeConfiguration<PopulationServed>
{
    public void Configure(EntityTypeBuilder<PopulationServed> served)
    {
        served.HasKey(p => new { p.ActivityId, p.PopulationType });
        served.Property(p => p.PopulationType).HasConversion<string>().HasMaxLength(32);
    }
}

sealed class MediaLinkConfiguration : IEntityTypeConfiguration<MediaLink>
{
    public void Configure(EntityTypeBuilder<MediaLink> link)
    {
        link.Property(m => m.Url).HasMaxLength(500);
        link.HasIndex(m => m.ActivityId);
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
