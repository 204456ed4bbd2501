using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Campaigns;

/// <summary>
/// The one definition of the reporting rate (报送率) and the on-time rate (按时率), used by the completeness
/// grid, the dashboard and anything else that shows them (docs/reporting.md, "Rates"):
/// <list type="bullet">
/// <item>a report counts as <b>reported</b> when it is submitted or approved now — a returned report (sent back
/// for correction) and a draft do not count, a withdrawn first submission is a draft again;</item>
/// <item>it counts as <b>on time</b> when it is reported and its first submission was at or before the due time;</item>
/// <item>the <b>denominator</b> is the expected reports: one per expected unit per column, waived ones left out, a
/// unit added late only for the columns due after it was added;</item>
/// <item>the <b>overall</b> rate adds up every column — the weekly periods <b>and</b> the final summary.</item>
/// </list>
/// </summary>
public static class ReportingRates
{
    /// <summary>Period number -1: the overall rate over all columns.</summary>
    public const int OverallPeriod = -1;

    public static bool IsReported(ReportStatus? status) => status is ReportStatus.Submitted or ReportStatus.Approved;

    public static bool IsOnTime(ReportStatus? status, DateTime? firstSubmittedAtUtc, DateTime dueAtUtc) =>
        IsReported(status) && firstSubmittedAtUtc is { } first && first <= dueAtUtc;

    /// <summary>The columns of a campaign: its weekly periods, then the final summary (period 0).</summary>
    public static List<(int Number, DateTime DueAtUtc)> Columns(CampaignView campaign) =>
        campaign.Periods.Select(p => (p.Number, p.DueAtUtc)).Append((0, campaign.FinalDueAtUtc)).ToList();

    /// <summary>The rate of each column (in the order given) for the given units.</summary>
    public static List<CompletenessRate> Compute(IEnumerable<CampaignUnit> units, IReadOnlyList<(int Number, DateTime DueAtUtc)> columns,
        IReadOnlyDictionary<(Guid UnitId, int PeriodNumber), (ReportStatus Status, DateTime? FirstSubmittedAtUtc)> reports)
    {
        var unitList = units.ToList();
        return columns.Select(column =>
        {
            int expected = 0, reported = 0, onTime = 0;
            foreach (var unit in unitList.Where(u => u.ExpectedFor(column.DueAtUtc)))
            {
                var found = reports.TryGetValue((unit.UnitId, column.Number), out var report);
                var status = found ? report.Status : (ReportStatus?)null;
                if (status == ReportStatus.Waived)
                {
                    continue;
                }
                expected++;
                reported += IsReported(status) ? 1 : 0;
                onTime += IsOnTime(status, found ? report.FirstSubmittedAtUtc : null, column.DueAtUtc) ? 1 : 0;
            }
            return new CompletenessRate(column.Number, expected, reported, onTime);
        }).ToList();
    }

    /// <summary>All columns added up.</summary>
    public static CompletenessRate Overall(IEnumerable<CompletenessRate> rates)
    {
        var list = rates.ToList();
        return new CompletenessRate(OverallPeriod, list.Sum(r => r.Expected), list.Sum(r => r.Reported), list.Sum(r => r.OnTime));
    }

    /// <summary>The reports of a campaign (optionally only those of units whose snapshot path starts with <paramref name="pathPrefix"/>), keyed by unit and period.</summary>
    public static async Task<Dictionary<(Guid UnitId, int PeriodNumber), (ReportStatus Status, DateTime? FirstSubmittedAtUtc)>> ReportsAsync(
        AppDbContext db, Guid campaignId, string? pathPrefix, CancellationToken cancellationToken)
    {
        var reports = db.CampaignReports.AsNoTracking().Where(r => r.CampaignId == campaignId);
        if (pathPrefix is not null)
        {
            reports = reports.Where(r => db.CampaignUnits.Any(u => u.CampaignId == campaignId && u.UnitId == r.UnitId && u.Path.StartsWith(pathPrefix)));
        }
        var list = await reports.Select(r => new { r.UnitId, r.PeriodNumber, r.Status, r.FirstSubmittedAtUtc }).ToListAsync(cancellationToken);
        return list.ToDictionary(r => (r.UnitId, r.PeriodNumber), r => (r.Status, r.FirstSubmittedAtUtc));
    }
}
