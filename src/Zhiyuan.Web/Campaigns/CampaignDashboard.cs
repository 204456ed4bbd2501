using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Units;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Campaigns;

/// <param name="Minutes">Confirmed service minutes.</param>
public sealed record DashboardFigure(string Key, string Label, int Minutes, int PersonTimes);

/// <param name="Minutes">Confirmed minutes of the sessions starting in the period, plus the period's typed-in rows.</param>
/// <param name="Expected">Expected reports of the period, waived ones left out; <paramref name="Reported"/> and <paramref name="OnTime"/> by <see cref="ReportingRates"/>.</param>
public sealed record DashboardWeek(int Number, DateOnly StartDate, DateOnly EndDate, int Minutes, int PersonTimes, int Expected, int Reported, int OnTime = 0);

/// <param name="Minutes">All confirmed minutes of the campaign's periods plus every typed-in row (of the periods and of the final summary).</param>
/// <param name="TypedInMinutes">The part of <paramref name="Minutes"/> that comes from typed-in rows (填报录入).</param>
/// <param name="FinalSummary">The final summary's reporting rate.</param>
/// <param name="Overall">The reporting rate over every period and the final summary — the same figure as the completeness grid's overall rate for the root unit.</param>
public sealed record DashboardView(Guid CampaignId, string Name, string Theme, DateOnly StartDate, DateOnly EndDate, int Minutes, int PersonTimes,
    List<DashboardWeek> Weeks, List<DashboardFigure> ByServiceLine, List<DashboardFigure> ByUnit, List<DashboardFigure> ByUnitType,
    int TypedInMinutes = 0, int TypedInPersonTimes = 0, CompletenessRate? FinalSummary = null, CompletenessRate? Overall = null);

/// <summary>
/// The campaign's figures for its dashboard: hours and person-times by period, service line, unit and
/// unit type, and the reporting rate by period. Aggregates only, computed by the same rules as the
/// statistics table (a session counts in the period it starts in; confirmed hours only; typed-in rows
/// count, in their report's period and unit, under the service line "填报录入"). The rates come from
/// <see cref="ReportingRates"/>, as on the completeness grid.
/// </summary>
public sealed class CampaignDashboard(AppDbContext db, Microsoft.Extensions.Localization.IStringLocalizer<SharedResource> text)
{
    public async Task<DashboardView?> GetAsync(Guid campaignId, CancellationToken cancellationToken = default)
    {
        var campaign = await db.Campaigns.AsNoTracking().Include(c => c.Periods).Include(c => c.Units).SingleOrDefaultAsync(c => c.Id == campaignId, cancellationToken);
        if (campaign is null)
        {
            return null;
        }
        var rootPath = await db.Units.Where(u => u.Id == campaign.RootUnitId).Select(u => u.Path).SingleAsync(cancellationToken);
        // The units directly below the root stand for their whole subtree in "by unit".
        var topUnits = campaign.Units.Where(u => u.ParentUnitId == campaign.RootUnitId).OrderBy(u => u.SortOrder).ToList();
        var livePaths = await db.Units.Where(u => u.Path.StartsWith(rootPath)).Select(u => new { u.Id, u.Path }).ToDictionaryAsync(u => u.Id, u => u.Path, cancellationToken);
        var topPaths = topUnits.Select(u => (Unit: u, Path: livePaths.GetValueOrDefault(u.UnitId, u.Path))).ToList();

        var columns = campaign.Periods.OrderBy(p => p.Number).Select(p => (p.Number, p.DueAtUtc))
            .Append((Number: 0, DueAtUtc: CampaignCalendar.DueAtUtc(campaign.FinalDueDate, campaign.DueHour))).ToList();
        var rates = ReportingRates.Compute(campaign.Units, columns, await ReportingRates.ReportsAsync(db, campaignId, null, cancellationToken))
            .ToDictionary(r => r.PeriodNumber);
        // Typed-in rows (activities run outside the platform) count as in the statistics table: in their report's period and unit.
        var typedIn = await (
                from row in db.TypedInRows
                join r in db.CampaignReports on row.ReportId equals r.Id
                where r.CampaignId == campaignId && !row.IsMedia && row.SupersededAtUtc == null
                group row by new { r.UnitId, r.PeriodNumber } into g
                select new { g.Key.UnitId, g.Key.PeriodNumber, Minutes = g.Sum(x => x.Minutes), PersonTimes = g.Sum(x => x.PersonTimes) })
            .ToListAsync(cancellationToken);
        var typedInLine = new Dictionary<string, (int Minutes, int PersonTimes)>();
        Guid TopOf(Guid unitId)
        {
            var path = livePaths.GetValueOrDefault(unitId, "");
            return topPaths.FirstOrDefault(t => path.Length > 0 && path.StartsWith(t.Path, StringComparison.Ordinal)).Unit?.UnitId ?? campaign.RootUnitId;
        }

        var weeks = new List<DashboardWeek>();
        var byLine = new Dictionary<ServiceLines, (int Minutes, int PersonTimes)>();
        var byUnit = new Dictionary<Guid, (int Minutes, int PersonTimes)>();
        foreach (var period in campaign.Periods.OrderBy(p => p.Number))
        {
            var (fromUtc, toUtc) = CampaignCalendar.UtcRange(period.StartDate, period.EndDate);
            var groups = await (
                    from e in db.LedgerEntries
                    join s in db.ActivitySessions on e.SessionId equals s.Id
                    join a in db.Activities on s.ActivityId equals a.Id
                    join u in db.Units on a.UnitId equals u.Id
                    where s.StartsAtUtc >= fromUtc && s.StartsAtUtc < toUtc && u.Path.StartsWith(rootPath)
                    group e by new { a.UnitId, a.ServiceLine } into g
                    select new { g.Key.UnitId, g.Key.ServiceLine, PersonTimes = g.Sum(e => e.Kind == LedgerEntryKind.Reversal ? -1 : 1), Minutes = g.Sum(e => e.Minutes) })
                .ToListAsync(cancellationToken);
            foreach (var g in groups)
            {
                Add(byLine, g.ServiceLine, g.Minutes, g.PersonTimes);
                Add(byUnit, TopOf(g.UnitId), g.Minutes, g.PersonTimes);
            }
            var rows = typedIn.Where(t => t.PeriodNumber == period.Number).ToList();
            var rate = rates[period.Number];
            weeks.Add(new DashboardWeek(period.Number, period.StartDate, period.EndDate, groups.Sum(g => g.Minutes) + rows.Sum(t => t.Minutes),
                groups.Sum(g => g.PersonTimes) + rows.Sum(t => t.PersonTimes), rate.Expected, rate.Reported, rate.OnTime));
        }
        foreach (var row in typedIn)
        {
            Add(typedInLine, TypedInKey, row.Minutes, row.PersonTimes);
            Add(byUnit, TopOf(row.UnitId), row.Minutes, row.PersonTimes);
        }
        // The final summary's own typed-in rows belong to no week but to the campaign's totals.
        var summaryRows = typedIn.Where(t => t.PeriodNumber == 0).ToList();
        var typedInTotal = typedInLine.GetValueOrDefault(TypedInKey);

        var unitFigures = topUnits.Select(u => Figure(u.Code, u.Name, byUnit.GetValueOrDefault(u.UnitId))).ToList();
        if (byUnit.TryGetValue(campaign.RootUnitId, out var own))
        {
            unitFigures.Insert(0, Figure(campaign.Units.Single(u => u.UnitId == campaign.RootUnitId).Code, campaign.Units.Single(u => u.UnitId == campaign.RootUnitId).Name, own));
        }
        var byType = topUnits.GroupBy(u => u.Type).Select(g => Figure(g.Key.ToString(), text[$"UnitType.{g.Key}"],
            (g.Sum(u => byUnit.GetValueOrDefault(u.UnitId).Minutes), g.Sum(u => byUnit.GetValueOrDefault(u.UnitId).PersonTimes)))).ToList();
        var lines = ServiceLineList.All.Select(l => Figure(l.ToString(), text[$"ServiceLine.{l}"], byLine.GetValueOrDefault(l))).ToList();
        if (typedIn.Count > 0)
        {
            lines.Add(Figure(TypedInKey, text["Reports.TypedIn"], typedInTotal));
        }
        return new DashboardView(campaign.Id, campaign.Name, campaign.Theme, campaign.StartDate, campaign.EndDate,
            weeks.Sum(w => w.Minutes) + summaryRows.Sum(t => t.Minutes), weeks.Sum(w => w.PersonTimes) + summaryRows.Sum(t => t.PersonTimes),
            weeks, lines, unitFigures, byType, typedInTotal.Minutes, typedInTotal.PersonTimes, rates[0], ReportingRates.Overall(rates.Values));
    }

    /// <summary>The service-line key under which typed-in rows (which name no service line) are shown.</summary>
    public const string TypedInKey = "TypedIn";

    static DashboardFigure Figure(string key, string label, (int Minutes, int PersonTimes) figures) => new(key, label, figures.Minutes, figures.PersonTimes);

    static void Add<TKey>(Dictionary<TKey, (int Minutes, int PersonTimes)> totals, TKey key, int minutes, int personTimes) where TKey : notnull
    {
        var current = totals.GetValueOrDefault(key);
        totals[key] = (current.Minutes + minutes, current.PersonTimes + personTimes);
    }
}
