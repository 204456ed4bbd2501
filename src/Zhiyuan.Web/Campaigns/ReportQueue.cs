using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Campaigns;

/// <summary>What a campaign report waits for from the one looking at it.</summary>
public enum ReportTaskKind
{
    /// <summary>The caller's own unit's report, not yet submitted, due within <see cref="ReportQueue.DueSoonDays"/> days.</summary>
    Due,

    /// <summary>The caller's own unit's report, never submitted and not waived, past its due time (the completeness grid's "overdue").</summary>
    Overdue,

    /// <summary>The caller's own unit's report, returned by the reviewer.</summary>
    Returned,

    /// <summary>A report submitted by a unit the caller reviews (one below them; the campaign's root for the city).</summary>
    ToReview,
}

/// <param name="PeriodNumber">The period; 0 is the final summary.</param>
public sealed record ReportTask(ReportTaskKind Kind, Guid CampaignId, string CampaignName, string UnitCode, string UnitName, int PeriodNumber, DateTime DueAtUtc)
{
    public string Link => $"/campaigns/{CampaignId}/reports/{UnitCode}/{PeriodNumber}";
}

/// <summary>
/// The campaign reports waiting for an administrator: their own unit's reports due soon, overdue or
/// returned, and the reports below them to review. Read by the workbench, which lists every task it
/// counts. Campaigns whose final summary was due more than <see cref="RecentDays"/> days ago are left out.
/// The rules match the report page's (who reviews) and the completeness grid's (what is overdue).
/// </summary>
public sealed class ReportQueue(AppDbContext db, TimeProvider time)
{
    public const int DueSoonDays = 7;
    public const int RecentDays = 30;

    public async Task<List<ReportTask>> ForAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        if (scope is null)
        {
            return [];
        }
        var isCity = principal.IsInRole(Roles.CityAdmin);
        var now = time.GetUtcNow().UtcDateTime;
        var since = DateOnly.FromDateTime(now.AddDays(-RecentDays));
        var campaigns = await db.Campaigns.AsNoTracking().Where(c => c.FinalDueDate >= since)
            .OrderBy(c => c.StartDate).ThenBy(c => c.Name)
            .Select(c => new { c.Id, c.Name, c.FinalDueDate, c.DueHour, Periods = c.Periods.Select(p => new { p.Number, p.DueAtUtc }).ToList() })
            .ToListAsync(cancellationToken);
        var tasks = new List<ReportTask>();
        foreach (var campaign in campaigns)
        {
            var dues = campaign.Periods.OrderBy(p => p.Number).Select(p => (p.Number, p.DueAtUtc))
                .Append((Number: 0, DueAtUtc: CampaignCalendar.DueAtUtc(campaign.FinalDueDate, campaign.DueHour))).ToDictionary(p => p.Number, p => p.DueAtUtc);

            // The caller's own unit, when the campaign expects a report from it.
            var own = await db.CampaignUnits.AsNoTracking().Where(u => u.CampaignId == campaign.Id && u.UnitId == scope.RootId).SingleOrDefaultAsync(cancellationToken);
            if (own is not null)
            {
                var reports = await db.CampaignReports.AsNoTracking().Where(r => r.CampaignId == campaign.Id && r.UnitId == own.UnitId)
                    .Select(r => new { r.PeriodNumber, r.Status, r.FirstSubmittedAtUtc }).ToDictionaryAsync(r => r.PeriodNumber, cancellationToken);
                foreach (var (number, due) in dues.OrderBy(d => d.Value))
                {
                    if (!own.ExpectedFor(due))
                    {
                        continue;
                    }
                    reports.TryGetValue(number, out var report);
                    ReportTaskKind? kind = report?.Status == ReportStatus.Returned ? ReportTaskKind.Returned
                        : report?.FirstSubmittedAtUtc is null && report?.Status != ReportStatus.Waived && now > due ? ReportTaskKind.Overdue
                        : (report is null || report.Status == ReportStatus.Draft) && due >= now && due <= now.AddDays(DueSoonDays) ? ReportTaskKind.Due
                        : null;
                    if (kind is { } k)
                    {
                        tasks.Add(new ReportTask(k, campaign.Id, campaign.Name, own.Code, own.Name, number, due));
                    }
                }
            }

            // Submitted reports the caller reviews: units of the campaign in their subtree other than
            // their own, and the campaign's root for the city administrators.
            var submitted = await db.CampaignReports.AsNoTracking()
                .Where(r => r.CampaignId == campaign.Id && r.Status == ReportStatus.Submitted)
                .Join(db.CampaignUnits.Where(u => u.CampaignId == campaign.Id), r => r.UnitId, u => u.UnitId, (r, u) => new { r.PeriodNumber, u.UnitId, u.Code, u.Name, u.ParentUnitId, u.SortOrder })
                .Where(x => db.Units.Any(live => live.Id == x.UnitId && live.Path.StartsWith(scope.RootPath))
                    && (x.UnitId != scope.RootId || (x.ParentUnitId == null && isCity)))
                .OrderBy(x => x.SortOrder).ThenBy(x => x.PeriodNumber)
                .ToListAsync(cancellationToken);
            tasks.AddRange(submitted.Where(x => dues.ContainsKey(x.PeriodNumber))
                .Select(x => new ReportTask(ReportTaskKind.ToReview, campaign.Id, campaign.Name, x.Code, x.Name, x.PeriodNumber, dues[x.PeriodNumber])));
        }
        return tasks;
    }
}
