using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;

namespace Zhiyuan.Web.Campaigns;

/// <summary>What a table is computed over: a unit's subtree, a span of China dates, and which reports' typed-in rows belong to it.</summary>
/// <param name="UnitPath">The unit's materialised path; every unit whose path starts with it is included.</param>
/// <param name="PeriodNumbers">The periods whose typed-in rows count (for the final summary: every period and 0).</param>
public sealed record TableScope(Guid CampaignId, string UnitPath, DateOnly From, DateOnly To, int[] PeriodNumbers);

/// <summary>
/// Computes the statistics table from the platform's records, by the definitions in docs/reporting.md:
/// a session belongs to the period in which it starts (China time); person-times and minutes come
/// from the hour ledger (confirmed hours only; a reversal cancels the entry it reverses); an
/// activity's outcome (population served, money, media) counts once, in the period of its last session.
/// </summary>
public sealed class ReportCalculator(AppDbContext db)
{
    /// <summary>Stored with every frozen table; raise it when a definition changes, so old submissions say which rules made them.
    /// Version 2: the media figures of typed-in activity rows reach the media table.</summary>
    public const int ComputationVersion = 2;

    public async Task<ReportTable> ComputeAsync(TableScope scope, string unitName, string title, string contactName, string contactPhone,
        CancellationToken cancellationToken = default)
    {
        var (fromUtc, toUtc) = CampaignCalendar.UtcRange(scope.From, scope.To);
        var path = scope.UnitPath;
        // The path goes into the SQL as a literal: as a parameter, PostgreSQL's generic plan for the
        // prepared statement (used after a few calls) guesses that it matches one unit and then reads
        // every activity of every unit one unit at a time (docs/performance.md, "Campaign reports").
        // Paths hold only hex digits and slashes, nothing LIKE treats specially.
        // Driven from the period's sessions (a range scan of their start-time index), so only the
        // activities that have one are read, not every activity of the subtree (a third faster on
        // province data; docs/performance.md).
        var firstStarts =
            from s in db.ActivitySessions
            where s.StartsAtUtc >= fromUtc && s.StartsAtUtc < toUtc
            group s by s.ActivityId into g
            select new { ActivityId = g.Key, FirstStart = g.Min(s => s.StartsAtUtc) };
        var activities = await (
                from f in firstStarts
                join a in db.Activities on f.ActivityId equals a.Id
                join u in db.Units on a.UnitId equals u.Id
                // Activities called off did not happen (ADR 0015) and are not reported.
                where EF.Functions.Like(u.Path, EF.Constant(path + "%")) && a.Status != ActivityStatus.Draft && a.Status != ActivityStatus.Cancelled
                select new
                {
                    a.Id,
                    a.Title,
                    Host = a.HostOrganization!.Name,
                    a.HostOrganizationId,
                    a.OtherPopulation,
                    a.IsBackEntry,
                    f.FirstStart,
                    LastStart = a.Sessions.Max(s => s.StartsAtUtc),
                })
            .AsNoTracking().ToListAsync(cancellationToken);
        // The other queries take these ids as one array parameter rather than filtering the activities
        // again each (a city-wide week is about 12,000 activities; docs/performance.md, "Campaign reports").
        var ids = activities.Select(a => a.Id).ToArray();

        var served = await (
                from e in db.LedgerEntries
                join s in db.ActivitySessions on e.SessionId equals s.Id
                where s.StartsAtUtc >= fromUtc && s.StartsAtUtc < toUtc && EF.Parameter(ids).Contains(s.ActivityId)
                group e by s.ActivityId into g
                select new
                {
                    ActivityId = g.Key,
                    PersonTimes = g.Sum(e => e.Kind == LedgerEntryKind.Reversal ? -1 : 1),
                    Minutes = g.Sum(e => e.Minutes),
                })
            .ToDictionaryAsync(x => x.ActivityId, cancellationToken);

        var coOrganizers = (await db.ActivityCoOrganizers.Where(c => EF.Parameter(ids).Contains(c.ActivityId))
                .Select(c => new { c.ActivityId, c.OrganizationId }).ToListAsync(cancellationToken))
            .ToLookup(c => c.ActivityId, c => c.OrganizationId);

        // The outcome is reported in the period of the activity's last session, so it is never counted twice.
        var finishing = activities.Where(a => a.LastStart < toUtc).Select(a => a.Id).ToArray();
        var outcomes = await db.ActivityOutcomes.AsNoTracking().Where(o => EF.Parameter(finishing).Contains(o.ActivityId))
            .Select(o => new { o.ActivityId, o.MoneyAndMaterialsYuan, o.PrintReports, o.WebsiteReports })
            .ToDictionaryAsync(o => o.ActivityId, cancellationToken);
        var population = (await db.PopulationServed.AsNoTracking().Where(p => EF.Parameter(finishing).Contains(p.ActivityId) && p.PersonTimes > 0)
                .Select(p => new { p.ActivityId, p.PopulationType, p.PersonTimes }).ToListAsync(cancellationToken))
            .ToLookup(p => p.ActivityId);
        var links = (await db.MediaLinks.AsNoTracking().Where(m => EF.Parameter(finishing).Contains(m.ActivityId))
                .OrderBy(m => m.Id).Select(m => new { m.ActivityId, m.Url, m.Reads }).ToListAsync(cancellationToken))
            .ToLookup(m => m.ActivityId);

        var typedIn = await (
                from t in db.TypedInRows
                join r in db.CampaignReports on t.ReportId equals r.Id
                join u in db.Units on r.UnitId equals u.Id
                where r.CampaignId == scope.CampaignId && scope.PeriodNumbers.Contains(r.PeriodNumber) && u.Path.StartsWith(path)
                orderby r.PeriodNumber, u.Path, t.CreatedAtUtc, t.Id
                select t)
            .AsNoTracking().ToListAsync(cancellationToken);

        var rows = new List<ActivityRow>();
        var media = new List<MediaRow>();
        var organizations = new HashSet<Guid>();
        foreach (var a in activities.OrderBy(a => a.FirstStart).ThenBy(a => a.Title, StringComparer.Ordinal).ThenBy(a => a.Id))
        {
            var taking = coOrganizers[a.Id].Append(a.HostOrganizationId).Distinct().ToList();
            organizations.UnionWith(taking);
            served.TryGetValue(a.Id, out var s);
            outcomes.TryGetValue(a.Id, out var outcome);
            var types = population[a.Id].OrderBy(p => p.PopulationType).ToList();
            var name = $"{a.Title}（{a.Host}）";
            rows.Add(new ActivityRow(name, s?.PersonTimes ?? 0, taking.Count,
                string.Join("、", types.Select(t => PopulationName(t.PopulationType, a.OtherPopulation))),
                types.Sum(t => t.PersonTimes), s?.Minutes ?? 0, outcome?.MoneyAndMaterialsYuan ?? 0, IsTypedIn: false, IsBackEntry: a.IsBackEntry));
            var activityLinks = links[a.Id].ToList();
            if (outcome is not null && (outcome.PrintReports > 0 || outcome.WebsiteReports > 0) || activityLinks.Count > 0)
            {
                media.Add(new MediaRow(name, outcome?.PrintReports ?? 0, outcome?.WebsiteReports ?? 0, activityLinks.Select(l => l.Url).ToList(),
                    activityLinks.Sum(l => l.Reads), IsTypedIn: false, IsBackEntry: a.IsBackEntry));
            }
        }
        foreach (var t in typedIn)
        {
            if (t.IsMedia)
            {
                media.Add(new MediaRow(t.Name, t.PrintReports, t.WebsiteReports, SplitLinks(t.Links), t.Reads, IsTypedIn: true));
            }
            else
            {
                rows.Add(new ActivityRow(t.Name, t.PersonTimes, t.Organizations, t.PopulationTypes, t.PopulationPersonTimes, t.Minutes, t.MoneyYuan, IsTypedIn: true));
                // An activity typed in with its media coverage also has its row in the media table, as a platform activity with an outcome does.
                var typedLinks = SplitLinks(t.Links);
                if (t.PrintReports > 0 || t.WebsiteReports > 0 || typedLinks.Count > 0 || t.Reads > 0)
                {
                    media.Add(new MediaRow(t.Name, t.PrintReports, t.WebsiteReports, typedLinks, t.Reads, IsTypedIn: true));
                }
            }
        }

        // Platform organisations are counted once however many rows they appear in; typed-in rows
        // name no organisation the platform knows, so their counts are added as stated.
        var activityTotal = new ActivityTotals(
            rows.Sum(r => r.PersonTimes),
            organizations.Count + rows.Where(r => r.IsTypedIn).Sum(r => r.Organizations),
            rows.Sum(r => r.PopulationPersonTimes),
            rows.Sum(r => r.Minutes),
            rows.Sum(r => r.MoneyYuan));
        var mediaTotal = new MediaTotals(media.Sum(m => m.PrintReports), media.Sum(m => m.WebsiteReports), media.Sum(m => m.Links.Count), media.Sum(m => m.Reads));
        return new ReportTable(unitName, title, scope.From, scope.To, rows, activityTotal, media, mediaTotal, contactName, contactPhone);
    }

    public static List<string> SplitLinks(string links) =>
        links.Split(['\n', '\r', ' ', '\t', '、', '；', ';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>The form's own words for the population types (its 备注 lists them); "other" carries the activity's explanation.</summary>
    public static string PopulationName(PopulationTypes type, string? other) => type switch
    {
        PopulationTypes.Disabled => "残疾人",
        PopulationTypes.MigrantWorkersChildren => "异地务工人员子女",
        PopulationTypes.EmptyNestElderly => "空巢老人",
        PopulationTypes.IdleYouth => "闲散青少年",
        PopulationTypes.YouthWithBadBehaviour => "不良行为青少年",
        PopulationTypes.LeftBehindChildren => "农村留守儿童",
        PopulationTypes.HomelessMinors => "流浪乞讨未成年人",
        PopulationTypes.PrisonersMinorChildren => "服刑在教人员未成年子女",
        _ => string.IsNullOrWhiteSpace(other) ? "其他" : $"其他（{other}）",
    };
}
