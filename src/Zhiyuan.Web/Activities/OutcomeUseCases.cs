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
        var outcome = await db.ActivityOutcomes.AsNoTracking().Include(o => o.PopulationServed).Include(o => o.MediaLinks).AsSplitQuery()
            .SingleOrDefaultAsync(o => o.ActivityId == activityId, cancellationToken);
        var photos = await db.ActivityPhotos.Where(p => p.ActivityId == activityId).OrderBy(p => p.UploadedAtUtc).Select(p => p.Id).ToListAsync(cancellationToken);
        return outcome is null
            ? new OutcomeView(0, 0, 0, "", [], [], photos, null)
            : new OutcomeView(outcome.MoneyAndMaterialsYuan, outcome.PrintReports, outcome.WebsiteReports, outcome.NewsText,
                outcome.PopulationServed.OrderBy(p => p.PopulationType).Select(p => new PopulationServedItem(p.PopulationType, p.PersonTimes)).ToList(),
                outcome.MediaLinks.OrderBy(m => m.Id).Select(m => new MediaLinkItem(m.Url, m.Reads)).ToList(), photos, outcome.UpdatedAtUtc);
    }

    /// <summary>Saves the whole outcome at once (it replaces what was there); allowed once the activity has begun.</summary>
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
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var outcome = await db.ActivityOutcomes.Include(o => o.PopulationServed).Include(o => o.MediaLinks).SingleOrDefaultAsync(o => o.ActivityId == activityId, cancellationToken);
        if (outcome is null)
        {
            db.ActivityOutcomes.Add(outcome = new ActivityOutcome { ActivityId = activityId });
        }
        outcome.MoneyAndMaterialsYuan = request.MoneyAndMaterialsYuan ?? 0;
        outcome.PrintReports = request.PrintReports ?? 0;
        outcome.WebsiteReports = request.WebsiteReports ?? 0;
        outcome.NewsText = news;
        outcome.UpdatedAtUtc = time.GetUtcNow().UtcDateTime;
        db.PopulationServed.RemoveRange(outcome.PopulationServed);
        db.MediaLinks.RemoveRange(outcome.MediaLinks);
        await db.SaveChangesAsync(cancellationToken);
        db.PopulationServed.AddRange(served.Where(s => s.PersonTimes > 0).Select(s => new PopulationServed { ActivityId = activityId, PopulationType = s.PopulationType, PersonTimes = s.PersonTimes }));
        db.MediaLinks.AddRange(links.Select(l => new MediaLink { ActivityId = activityId, Url = l.Url.Trim(), Reads = l.Reads }));
        audit.Add("activity.outcome", activity.UnitId, activity.Title);
        await db.SaveChangesAsync(cancellationToken);
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
