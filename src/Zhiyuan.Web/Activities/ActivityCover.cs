using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Activities;

/// <summary>
/// The one photo that stands for an activity on the public home page and in lists. Optional; stored
/// re-encoded like every other photo (<see cref="PhotoUpload"/>), so no camera metadata survives. A new
/// upload replaces the old one under a new id, so the address of the picture changes with it.
/// </summary>
public sealed class ActivityCover
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid ActivityId { get; set; }

    public required string ContentType { get; set; }

    public required byte[] Content { get; set; }

    public int Width { get; set; }

    public int Height { get; set; }

    public DateTime UploadedAtUtc { get; set; }
}

sealed class ActivityCoverConfiguration : IEntityTypeConfiguration<ActivityCover>
{
    public void Configure(EntityTypeBuilder<ActivityCover> cover)
    {
        cover.HasOne<Activity>().WithMany().HasForeignKey(c => c.ActivityId);
        // At most one cover an activity, whatever arrives at once.
        cover.HasIndex(c => c.ActivityId).IsUnique();
        cover.Property(c => c.ContentType).HasMaxLength(20);
    }
}

/// <summary>Where an activity's cover is served, and its size (for the page's layout).</summary>
public sealed record CoverView(string Url, int Width, int Height);

/// <summary>Sets, replaces and removes an activity's cover; serves it to the public only for public activities.</summary>
public sealed class CoverUseCases(AppDbContext db, AuditLog audit, ActivityUseCases activities, IStringLocalizer<SharedResource> text, TimeProvider time)
{
    public static string UrlOf(Guid coverId) => $"/activities/covers/{coverId}";

    /// <summary>The cover of an activity the caller manages (any status), or null.</summary>
    public async Task<CoverView?> GetAsync(Guid activityId, CancellationToken cancellationToken = default) =>
        await db.ActivityCovers.AsNoTracking().Where(c => c.ActivityId == activityId)
            .Select(c => new { c.Id, c.Width, c.Height }).SingleOrDefaultAsync(cancellationToken) is { } c ? new CoverView(UrlOf(c.Id), c.Width, c.Height) : null;

    /// <summary>Checks the photo (JPEG, PNG or WebP by content, size and pixel limits), strips its metadata and makes it the activity's cover, replacing any other.</summary>
    public async Task<Outcome<CoverView>> SetAsync(ClaimsPrincipal principal, Guid activityId, byte[] bytes, CancellationToken cancellationToken = default)
    {
        var activity = await activities.ManageableAsync(principal, activityId, cancellationToken);
        if (activity is null)
        {
            return Outcome<CoverView>.NotFound();
        }
        var (photo, errorKey) = await PhotoUpload.CleanAsync(bytes, cancellationToken);
        return photo is null ? Outcome<CoverView>.Invalid("photo", text[errorKey!, PhotoUpload.MaxBytes / 1024 / 1024])
            : await SetCleanAsync(activity, photo, cancellationToken);
    }

    /// <summary>Makes a photo already checked and cleaned (the new-activity form checks it before creating) the cover of an activity the caller manages.</summary>
    public async Task<Outcome<CoverView>> SetAsync(ClaimsPrincipal principal, Guid activityId, CleanPhoto photo, CancellationToken cancellationToken = default) =>
        await activities.ManageableAsync(principal, activityId, cancellationToken) is { } activity
            ? await SetCleanAsync(activity, photo, cancellationToken) : Outcome<CoverView>.NotFound();

    async Task<Outcome<CoverView>> SetCleanAsync(Activity activity, CleanPhoto photo, CancellationToken cancellationToken)
    {
        var activityId = activity.Id;
        // Removed and added under the activity's lock (SQLite transactions are serialised already):
        // twenty uploads at once leave one cover, the last one's.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockRowAsync(RowLocks.Table.Activities, activityId, cancellationToken);
        await db.ActivityCovers.Where(c => c.ActivityId == activityId).ExecuteDeleteAsync(cancellationToken);
        var cover = new ActivityCover
        {
            ActivityId = activityId, ContentType = photo.ContentType, Content = photo.Content, Width = photo.Width, Height = photo.Height,
            UploadedAtUtc = time.GetUtcNow().UtcDateTime,
        };
        db.ActivityCovers.Add(cover);
        audit.Add("activity.cover", activity.UnitId, activity.Title);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<CoverView>.Ok(new CoverView(UrlOf(cover.Id), cover.Width, cover.Height));
    }

    /// <summary>Removes the cover; removing a cover that is not there (again) changes nothing and succeeds.</summary>
    public async Task<Outcome<bool>> RemoveAsync(ClaimsPrincipal principal, Guid activityId, CancellationToken cancellationToken = default)
    {
        var activity = await activities.ManageableAsync(principal, activityId, cancellationToken);
        if (activity is null)
        {
            return Outcome<bool>.NotFound();
        }
        var removed = await db.ActivityCovers.Where(c => c.ActivityId == activityId).ExecuteDeleteAsync(cancellationToken);
        if (removed > 0)
        {
            audit.Add("activity.cover.remove", activity.UnitId, activity.Title);
            await db.SaveChangesAsync(cancellationToken);
        }
        return Outcome<bool>.Ok(removed > 0);
    }

    /// <summary>Whether the activity's cover may be shown to anyone: the activity is neither a draft nor private work.</summary>
    public Task<bool> IsPublicAsync(Guid activityId, CancellationToken cancellationToken = default) =>
        db.Activities.AnyAsync(a => a.Id == activityId && a.Status != ActivityStatus.Draft && !a.IsPrivate, cancellationToken);

    /// <summary>
    /// A cover anyone may see: its activity is neither a draft nor private work. Those who manage the
    /// activity see it at any stage (the edit page shows it before publishing).
    /// </summary>
    public async Task<ActivityCover?> ServeAsync(ClaimsPrincipal principal, Guid coverId, CancellationToken cancellationToken = default)
    {
        var cover = await db.ActivityCovers.AsNoTracking().SingleOrDefaultAsync(c => c.Id == coverId, cancellationToken);
        if (cover is null)
        {
            return null;
        }
        return await IsPublicAsync(cover.ActivityId, cancellationToken) || (principal.Identity?.IsAuthenticated == true && await activities.CanManageAsync(principal, cover.ActivityId, cancellationToken)) ? cover : null;
    }
}
