using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Units;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Campaigns;

/// <param name="Minutes">Confirmed service minutes.</param>
public sealed record DashboardFigure(string Key, string Label, int Minutes, int PersonTimes);

public sealed record DashboardWeek(int Number, DateOnly StartDate, DateOnly EndDate, int Minutes, int PersonTimes, int Expected, int Reported);

public sealed record DashboardView(Guid CampaignId, string Name, string Theme, DateOnly StartDate, DateOnly EndDate, int Minutes, int PersonTimes,
    List<DashboardWeek> Weeks, List<DashboardFigure> ByServiceLine, List<DashboardFigure> ByUnit, List<DashboardFigure> ByUnitType);

/// <summary>
/// The campaign's figures for its dashboard: hours and person-times by period, service line, unit and
/// unit type, and the reporting rate by period. Aggregates only, computed by the same rules as the
/// statistics table (a session counts in the period it starts in; confirmed hours only).
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

        var reported = await db.CampaignReports.AsNoTracking().Where(r => r.CampaignId == campaignId && (r.FirstSubmittedAtUtc != null || r.Status == ReportStatus.Waived))
            .GroupBy(r => new { r.PeriodNumber, r.Status })
            .Select(g => new { g.Key.PeriodNumber, g.Key.Status, Count = g.Count() }).ToListAsync(cancellationToken);

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
                var path = livePaths.GetValueOrDefault(g.UnitId, "");
                var top = topPaths.FirstOrDefault(t => path.StartsWith(t.Path, StringComparison.Ordinal)).Unit;
                Add(byUnit, top?.UnitId ?? campaign.RootUnitId, g.Minutes, g.PersonTimes);
            }
            var waived = reported.Where(r => r.PeriodNumber == period.Number && r.Status == ReportStatus.Waived).Sum(r => r.Count);
            weeks.Add(new DashboardWeek(period.Number, period.StartDate, period.EndDate, groups.Sum(g => g.Minutes), groups.Sum(g => g.PersonTimes),
                campaign.Units.Count(u => u.ExpectedFor(period.DueAtUtc)) - waived, reported.Where(r => r.PeriodNumber == period.Number && r.Status != ReportStatus.Waived).Sum(r => r.Count)));
        }

        var unitFigures = topUnits.Select(u => Figure(u.Code, u.Name, byUnit.GetValueOrDefault(u.UnitId))).ToList();
        if (byUnit.TryGetValue(campaign.RootUnitId, out var own))
        {
            unitFigures.Insert(0, Figure(campaign.Units.Single(u => u.UnitId == campaign.RootUnitId).Code, campaign.Units.Single(u => u.UnitId == campaign.RootUnitId).Name, own));
        }
        var byType = topUnits.GroupBy(u => u.Type).Select(g => Figure(g.Key.ToString(), text[$"UnitType.{g.Key}"],
            (g.Sum(u => byUnit.GetValueOrDefault(u.UnitId).Minutes), g.Sum(u => byUnit.GetValueOrDefault(u.UnitId).PersonTimes)))).ToList();
        return new DashboardView(campaign.Id, campaign.Name, campaign.Theme, campaign.StartDate, campaign.EndDate, weeks.Sum(w => w.Minutes), weeks.Sum(w => w.PersonTimes),
            weeks, ServiceLineList.All.Select(l => Figure(l.ToString(), text[$"ServiceLine.{l}"], byLine.GetValueOrDefault(l))).ToList(), unitFigures, byType);
    }

    static DashboardFigure Figure(string key, string label, (int Minutes, int PersonTimes) figures) => new(key, label, figures.Minutes, figures.PersonTimes);

    static void Add<TKey>(Dictionary<TKey, (int Minutes, int PersonTimes)> totals, TKey key, int minutes, int personTimes) where TKey : notnull
    {
        var current = totals.GetValueOrDefault(key);
        totals[key] = (current.Minutes + minutes, current.PersonTimes + personTimes);
    }
}
