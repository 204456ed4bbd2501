using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.PublicSite;

/// <summary>One line of the honour roll: a masked name, the volunteer's unit and their confirmed hours.</summary>
public sealed record HonourLine(int Rank, string MaskedName, string UnitName, int StarLevel, string Hours);

public sealed record HonourRoll(int Year, List<HonourLine> Lines);

public sealed record CampaignLink(Guid Id, string Name, DateOnly StartDate, DateOnly EndDate);

/// <summary>
/// The live figures on the public home page: volunteers registered, organisations approved, hours
/// confirmed in this China year (the ledger's net minutes: reversals subtract) and activities
/// recruiting now (published, sign-up open, a place left in a session still to come).
/// </summary>
public sealed record PublicFigures(int Year, int Volunteers, int Organizations, long ConfirmedMinutesThisYear, string ConfirmedHoursThisYear, int RecruitingNow);

/// <summary>
/// One activity card on the public home page: only what the public list shows anyway, and the
/// address of its cover photo (null without one). Never built for drafts or private work.
/// </summary>
public sealed record PublicActivityCard(Guid Id, string Title, string HostName, string UnitName, ServiceLines ServiceLine, string Address,
    DateTime? FirstStartUtc, DateTime? LastEndUtc, int PlacesLeft, string? CoverUrl);

/// <summary>Activities recruiting now, the first few as cards, and how many there are in all.</summary>
public sealed record RecruitingNow(int Total, List<PublicActivityCard> Cards);

/// <summary>
/// What the public site shows that no other feature owns. The honour roll is a simple ranking by
/// confirmed hours this year, because commendations (issue 6's recognition) do not exist yet.
/// </summary>
public sealed class PublicSiteUseCases(AppDbContext db, ActivityUseCases activities, TimeProvider time)
{
    public const int HonourRollSize = 50;

    /// <summary>Net confirmed hours (reversals subtract) of service that started in the given China year.</summary>
    public async Task<HonourRoll> HonourRollAsync(int? year = null, CancellationToken cancellationToken = default)
    {
        // A year outside 2000–2100 (0, 9999 …) is not a roll anyone keeps: this year's is shown instead of a date that overflows.
        var y = year is { } asked && asked >= InputRules.FirstDay.Year && asked <= InputRules.LastDay.Year ? asked : ChinaTime.Today(time).Year;
        // The year's totals the ledger's trigger keeps (Hours/ConfirmedTotals.cs): the top of an index, not a sum over the year's ledger.
        var totals = await db.ConfirmedYearTotals.AsNoTracking().Where(t => t.Year == y && t.Minutes > 0)
            .OrderByDescending(t => t.Minutes).Take(HonourRollSize).Select(t => new { t.VolunteerId, t.Minutes }).ToListAsync(cancellationToken);
        var ids = totals.Select(t => t.VolunteerId).ToList();
        var people = await db.Volunteers.AsNoTracking().Where(v => ids.Contains(v.Id)).Select(v => new { v.Id, v.Name, Unit = v.Unit!.Name, v.StarLevel })
            .ToDictionaryAsync(v => v.Id, cancellationToken);
        return new HonourRoll(y, totals.Select((t, i) => new HonourLine(i + 1, Certificates.MaskName(people[t.VolunteerId].Name), people[t.VolunteerId].Unit,
            people[t.VolunteerId].StarLevel, Hours.HourUseCases.FormatHours(t.Minutes))).ToList());
    }

    /// <summary>The home page's figures, each counted straight from the records (the year's hours from the kept totals).</summary>
    public async Task<PublicFigures> FiguresAsync(CancellationToken cancellationToken = default)
    {
        var year = ChinaTime.Today(time).Year;
        var volunteers = await db.Volunteers.CountAsync(cancellationToken);
        var organizations = await db.Organizations.CountAsync(o => o.Status == OrganizationStatus.Approved, cancellationToken);
        // Summed as long: a city's year of minutes can pass what an int holds.
        var minutes = await db.ConfirmedYearTotals.Where(t => t.Year == year).SumAsync(t => (long)t.Minutes, cancellationToken);
        var recruiting = await activities.ListAsync(new ActivityListQuery(OpenPlaces: true), cancellationToken);
        return new PublicFigures(year, volunteers, organizations, minutes, Hours.HourUseCases.FormatHours(minutes), recruiting.Total);
    }

    /// <summary>Activities recruiting now (the public list's rule), soonest first, with their covers.</summary>
    public async Task<RecruitingNow> RecruitingAsync(int take, CancellationToken cancellationToken = default)
    {
        var page = await activities.ListAsync(new ActivityListQuery(OpenPlaces: true), cancellationToken);
        var items = page.Items.Take(take).ToList();
        var ids = items.Select(a => a.Id).ToList();
        var covers = await db.ActivityCovers.AsNoTracking().Where(c => ids.Contains(c.ActivityId)).Select(c => new { c.ActivityId, c.Id })
            .ToDictionaryAsync(c => c.ActivityId, c => c.Id, cancellationToken);
        return new RecruitingNow(page.Total, items.Select(a => new PublicActivityCard(a.Id, a.Title, a.HostName, a.UnitName, a.ServiceLine, a.Address,
            a.FirstStartUtc, a.LastEndUtc, a.PlacesLeft, covers.TryGetValue(a.Id, out var cover) ? CoverUseCases.UrlOf(cover) : null)).ToList());
    }

    /// <summary>Campaigns whose dashboards are public, newest first.</summary>
    public async Task<List<CampaignLink>> CampaignsAsync(CancellationToken cancellationToken = default) =>
        (await db.Campaigns.AsNoTracking().Select(c => new CampaignLink(c.Id, c.Name, c.StartDate, c.EndDate)).ToListAsync(cancellationToken))
        .OrderByDescending(c => c.StartDate).Take(10).ToList();
}

public static class PublicSiteApi
{
    public static IServiceCollection AddPublicSite(this IServiceCollection services) => services.AddScoped<PublicSiteUseCases>();

    public static IEndpointRouteBuilder MapPublicSiteApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/public").WithTags("Public site").AllowAnonymous();
        group.MapGet("/honour-roll", HonourRollList);
        group.MapGet("/campaigns", Campaigns);
        group.MapGet("/figures", Figures);
        group.MapGet("/recruiting", Recruiting);
        return app;
    }

    /// <summary>The volunteers with the most confirmed hours in a year (this year by default), names masked.</summary>
    static async Task<Ok<HonourRoll>> HonourRollList(int? year, PublicSiteUseCases site, CancellationToken cancellationToken) =>
        TypedResults.Ok(await site.HonourRollAsync(year, cancellationToken));

    /// <summary>The home page's live figures: volunteers, organisations, hours confirmed this year (net of reversals), activities recruiting now.</summary>
    static async Task<Ok<PublicFigures>> Figures(PublicSiteUseCases site, CancellationToken cancellationToken) =>
        TypedResults.Ok(await site.FiguresAsync(cancellationToken));

    /// <summary>Activities recruiting now as the home page's cards (at most 12), with the address of each cover photo.</summary>
    static async Task<Ok<RecruitingNow>> Recruiting(PublicSiteUseCases site, CancellationToken cancellationToken) =>
        TypedResults.Ok(await site.RecruitingAsync(12, cancellationToken));

    static async Task<Ok<List<CampaignLink>>> Campaigns(PublicSiteUseCases site, CancellationToken cancellationToken) =>
        TypedResults.Ok(await site.CampaignsAsync(cancellationToken));
}
