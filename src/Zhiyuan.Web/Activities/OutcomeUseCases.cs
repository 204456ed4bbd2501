using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Activities;

public sealed record PopulationServedItem(PopulationTypes PopulationType, int PersonTimes);

public sealed record MediaLinkItem(string Url, int Reads);

public sealed record OutcomeRequest(decimal? MoneyAndMaterialsYuan, int? PrintReports, int? WebsiteReports, string? NewsText,
    PopulationServedItem[]? PopulationServed, MediaLinkItem[]? MediaLinks);

public sealed record OutcomeView(decimal MoneyAndMaterialsYuan, int PrintReports, int WebsiteReports, string NewsText,
    List<PopulationServedItem> PopulationServed, List<MediaLinkItem> MediaLinks, List<Guid> PhotoIds, DateTime? UpdatedAtUtc);

/// <summary>What an activity achieved, recorded by its organisation: the figures the campaign tables are built from.</summary>
public sealed class OutcomeUseCases(AppDbContext db, AuditLog audit, ActivityUseCases activities, IStringLocalizer<SharedResource> text, TimeProvider time)
{
    public const int MaxPhotos = 12;
    public const int MaxLinks = 50;

    public async Task<OutcomeView?> GetAsync(Guid activityId, CancellationToken cancellationToken = default)
    {
        if (!await db.Activities.AnyAsync(a => a.Id == activityId, cancellationToken))
        {
            return null;
        }
        var outcome = await db.ActivityOutcomes.AsNoTracking().SingleOrDefaultAsync(o => o.ActivityId == activityId && o.SupersededAtUtc == null, cancellationToken);
        var served = outcome is null ? [] : await db.PopulationServed.AsNoTracking().Where(p => p.ActivityId == activityId && p.Revision == outcome.Revision)
            .OrderBy(p => p.PopulationType).Select(p => new PopulationServedItem(p.PopulationType, p.PersonTimes)).ToListAsync(cancellationToken);
        var links = outcome is null ? [] : await db.MediaLinks.AsNoTracking().Where(m => m.ActivityId == activityId && m.Revision == outcome.Revision)
            .OrderBy(m => m.Id).Select(m => new MediaLinkItem(m.Url, m.Reads)).ToListAsync(cancellationToken);
        var photos = await db.ActivityPhotos.Where(p => p.ActivityId == activityId).OrderBy(p => p.UploadedAtUtc).Select(p => p.Id).ToListAsync(cancellationToken);
        return outcome is null
            ? new OutcomeView(0, 0, 0, "", [], [], photos, null)
            : new OutcomeView(outcome.MoneyAndMaterialsYuan, outcome.PrintReports, outcome.WebsiteReports, outcome.NewsText,
                served, links, photos, outcome.UpdatedAtUtc);
    }

    /// <summary>
    /// Saves the whole outcome at once as a new revision (the one before is kept, marked superseded, never changed
    /// otherwise); allowed once the activity has begun. A save that changes nothing adds no revision.
    /// </summary>
    public async Task<Outcome<OutcomeView>> SaveAsync(ClaimsPrincipal principal, Guid activityId, OutcomeRequest request, CancellationToken cancellationToken = default)
    {
        var activity = await activities.ManageableAsync(principal, activityId, cancellationToken);
        if (activity is null)
        {
            return Outcome<OutcomeView>.NotFound();
        }
        var errors = new FieldErrors();
        var firstStart = await db.ActivitySessions.Where(s => s.ActivityId == activityId).MinAsync(s => (DateTime?)s.StartsAtUtc, cancellationToken);
        if (activity.Status == ActivityStatus.Draft || firstStart > time.GetUtcNow().UtcDateTime)
        {
            errors.Add("status", text["Outcome.Error.NotStarted"]);
        }
        if (request.MoneyAndMaterialsYuan is < 0 or > 1_000_000_000_000m || (request.MoneyAndMaterialsYuan is { } money && decimal.Round(money, 2) != money))
        {
            errors.Add("moneyAndMaterialsYuan", text["Outcome.Error.Money"]);
        }
        if (request.PrintReports is < 0 or > 100_000)
        {
            errors.Add("printReports", text["Outcome.Error.Count", text["Outcome.Field.PrintReports"]]);
        }
        if (request.WebsiteReports is < 0 or > 100_000)
        {
            errors.Add("websiteReports", text["Outcome.Error.Count", text["Outcome.Field.WebsiteReports"]]);
        }
        var news = (request.NewsText ?? "").Trim();
        if (news.Length > Activity.TextMaxLength)
        {
            errors.Add("newsText", text["Validation.TooLong", text["Outcome.Field.NewsText"], Activity.TextMaxLength]);
        }
        var served = request.PopulationServed ?? [];
        for (var i = 0; i < served.Length; i++)
        {
            if (!PopulationTypeList.All.Contains(served[i].PopulationType))
            {
                errors.Add($"populationServed[{i}].populationType", text["Activities.Error.Population"]);
            }
            if (served[i].PersonTimes is < 0 or > 10_000_000)
            {
                errors.Add($"populationServed[{i}].personTimes", text["Outcome.Error.Count", text["Outcome.Field.PersonTimes"]]);
            }
        }
        if (served.GroupBy(s => s.PopulationType).Any(g => g.Count() > 1))
        {
            errors.Add("populationServed", text["Outcome.Error.DuplicateType"]);
        }
        var links = request.MediaLinks ?? [];
        if (links.Length > MaxLinks)
        {
            errors.Add("mediaLinks", text["Outcome.Error.TooManyLinks", MaxLinks]);
        }
        for (var i = 0; i < links.Length; i++)
        {
            if (!Uri.TryCreate(links[i].Url?.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || links[i].Url.Trim().Length > 500)
            {
                errors.Add($"mediaLinks[{i}].url", text["Outcome.Error.Url"]);
            }
            if (links[i].Reads is < 0 or > 1_000_000_000)
            {
                errors.Add($"mediaLinks[{i}].reads", text["Outcome.Error.Count", text["Outcome.Field.Reads"]]);
            }
        }
        if (errors.Any)
        {
            return Outcome<OutcomeView>.Invalid(errors);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var lines = served.Where(s => s.PersonTimes > 0).OrderBy(s => s.PopulationType).Select(s => new PopulationServedItem(s.PopulationType, s.PersonTimes)).ToList();
        var newLinks = links.Select(l => new MediaLinkItem(l.Url.Trim(), l.Reads)).ToList();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // One save at a time per activity, so each revision supersedes the one it read.
        await db.LockRowAsync(RowLocks.Table.Activities, activityId, cancellationToken);
        var current = await GetAsync(activityId, cancellationToken);
        if (current is { UpdatedAtUtc: not null } && current.MoneyAndMaterialsYuan == (request.MoneyAndMaterialsYuan ?? 0) && current.PrintReports == (request.PrintReports ?? 0)
            && current.WebsiteReports == (request.WebsiteReports ?? 0) && current.NewsText == news && current.PopulationServed.SequenceEqual(lines) && current.MediaLinks.SequenceEqual(newLinks))
        {
            return Outcome<OutcomeView>.Ok(current);
        }
        var revision = (await db.ActivityOutcomes.Where(o => o.ActivityId == activityId).MaxAsync(o => (int?)o.Revision, cancellationToken) ?? 0) + 1;
        if (revision > 1)
        {
            // The figures of earlier revisions stay as they were; only the current one is marked replaced, and only if it still is current.
            await db.ActivityOutcomes.Where(o => o.ActivityId == activityId && o.SupersededAtUtc == null)
                .ExecuteUpdateAsync(u => u.SetProperty(o => o.SupersededAtUtc, now), cancellationToken);
            await db.PopulationServed.Where(p => p.ActivityId == activityId && p.SupersededAtUtc == null).ExecuteUpdateAsync(u => u.SetProperty(p => p.SupersededAtUtc, now), cancellationToken);
            await db.MediaLinks.Where(m => m.ActivityId == activityId && m.SupersededAtUtc == null).ExecuteUpdateAsync(u => u.SetProperty(m => m.SupersededAtUtc, now), cancellationToken);
        }
        db.ActivityOutcomes.Add(new ActivityOutcome
        {
            ActivityId = activityId, Revision = revision, MoneyAndMaterialsYuan = request.MoneyAndMaterialsYuan ?? 0, PrintReports = request.PrintReports ?? 0,
            WebsiteReports = request.WebsiteReports ?? 0, NewsText = news, UpdatedAtUtc = now,
        });
        db.PopulationServed.AddRange(lines.Select(s => new PopulationServed { ActivityId = activityId, Revision = revision, PopulationType = s.PopulationType, PersonTimes = s.PersonTimes, RecordedAtUtc = now }));
        db.MediaLinks.AddRange(newLinks.Select(l => new MediaLink { ActivityId = activityId, Revision = revision, Url = l.Url, Reads = l.Reads, RecordedAtUtc = now }));
        audit.Add("activity.outcome", activity.UnitId, activity.Title, $"revision {revision}");
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another save took the same revision number first (the unique keys refuse the second).
            db.ChangeTracker.Clear();
            return Outcome<OutcomeView>.Conflict("outcome", text["Outcome.Error.Changed"]);
        }
        await transaction.CommitAsync(cancellationToken);
        return Outcome<OutcomeView>.Ok((await GetAsync(activityId, cancellationToken))!);
    }

    /// <summary>Adds a photo after checking it is a real JPEG, PNG or WebP and stripping its metadata.</summary>
    public async Task<Outcome<Guid>> AddPhotoAsync(ClaimsPrincipal principal, Guid activityId, byte[] bytes, CancellationToken cancellationToken = default)
    {
        var activity = await activities.ManageableAsync(principal, activityId, cancellationToken);
        if (activity is null)
        {
            return Outcome<Guid>.NotFound();
        }
        var (photo, errorKey) = await PhotoUpload.CleanAsync(bytes, cancellationToken);
        if (photo is null)
        {
            return Outcome<Guid>.Invalid("photo", text[errorKey!, PhotoUpload.MaxBytes / 1024 / 1024]);
        }
        // Counted and added under the activity's lock, so twenty uploads at once still stop at the limit.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockRowAsync(RowLocks.Table.Activities, activityId, cancellationToken);
        if (await db.ActivityPhotos.CountAsync(p => p.ActivityId == activityId, cancellationToken) >= MaxPhotos)
        {
            return Outcome<Guid>.Invalid("photo", text["Photos.Error.TooMany", MaxPhotos]);
        }
        var stored = new ActivityPhoto
        {
            ActivityId = activityId, ContentType = photo.ContentType, Content = photo.Content, Width = photo.Width, Height = photo.Height,
            UploadedAtUtc = time.GetUtcNow().UtcDateTime,
        };
        db.ActivityPhotos.Add(stored);
        audit.Add("activity.photo", activity.UnitId, activity.Title);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<Guid>.Ok(stored.Id);
    }

    /// <summary>A photo of an activity anyone can see (not a draft).</summary>
    public Task<ActivityPhoto?> PhotoAsync(Guid id, CancellationToken cancellationToken = default) =>
        db.ActivityPhotos.AsNoTracking().Where(p => p.Id == id && db.Activities.Any(a => a.Id == p.ActivityId && a.Status != ActivityStatus.Draft && !a.IsPrivate))
            .SingleOrDefaultAsync(cancellationToken);
}
