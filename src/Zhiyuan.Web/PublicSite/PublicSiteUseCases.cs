using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.PublicSite;

/// <summary>One line of the honour roll: a masked name, the volunteer's unit and their confirmed hours.</summary>
public sealed record HonourLine(int Rank, string MaskedName, string UnitName, int StarLevel, string Hours);

public sealed record HonourRoll(int Year, List<HonourLine> Lines);

public sealed record CampaignLink(Guid Id, string Name, DateOnly StartDate, DateOnly EndDate);

/// <summary>
/// What the public site shows that no other feature owns. The honour roll is a simple ranking by
/// confirmed hours this year, because commendations (issue 6's recognition) do not exist yet.
/// </summary>
public sealed class PublicSiteUseCases(AppDbContext db, TimeProvider time)
{
    public const int HonourRollSize = 50;

    /// <summary>Net confirmed hours (reversals subtract) of service that started in the given China year.</summary>
    public async Task<HonourRoll> HonourRollAsync(int? year = null, CancellationToken cancellationToken = default)
    {
        // A year outside 2000–2100 (0, 9999 …) is not a roll anyone keeps: this year's is shown instead of a date that overflows.
        var y = year is { } asked && asked >= InputRules.FirstDay.Year && asked <= InputRules.LastDay.Year ? asked : ChinaTime.Today(time).Year;
        var from = new DateTime(y, 1, 1, 0, 0, 0, DateTimeKind.Utc) - ChinaTime.Offset;
        var to = from.AddYears(1);
        var totals = await db.LedgerEntries.AsNoTracking().Where(e => e.StartUtc >= from && e.StartUtc < to)
            .GroupBy(e => e.VolunteerId).Select(g => new { VolunteerId = g.Key, Minutes = g.Sum(e => e.Minutes) })
            .Where(t => t.Minutes > 0).OrderByDescending(t => t.Minutes).Take(HonourRollSize).ToListAsync(cancellationToken);
        var ids = totals.Select(t => t.VolunteerId).ToList();
        var people = await db.Volunteers.AsNoTracking().Where(v => ids.Contains(v.Id)).Select(v => new { v.Id, v.Name, Unit = v.Unit!.Name, v.StarLevel })
            .ToDictionaryAsync(v => v.Id, cancellationToken);
        return new HonourRoll(y, totals.Select((t, i) => new HonourLine(i + 1, Certificates.MaskName(people[t.VolunteerId].Name), people[t.VolunteerId].Unit,
            people[t.VolunteerId].StarLevel, Hours.HourUseCases.FormatHours(t.Minutes))).ToList());
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
        return app;
    }

    /// <summary>The volunteers with the most confirmed hours in a year (this year by default), names masked.</summary>
    static async Task<Ok<HonourRoll>> HonourRollList(int? year, PublicSiteUseCases site, CancellationToken cancellationToken) =>
        TypedResults.Ok(await site.HonourRollAsync(year, cancellationToken));

    static async Task<Ok<List<CampaignLink>>> Campaigns(PublicSiteUseCases site, CancellationToken cancellationToken) =>
        TypedResults.Ok(await site.CampaignsAsync(cancellationToken));
}
