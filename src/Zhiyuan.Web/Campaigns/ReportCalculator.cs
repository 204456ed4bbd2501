using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;

namespace Zhiyuan.Web.Campaigns;

/// <summary>What a table is computed over: a unit's subtree, a span of China dates, and which reports' typed-in rows belong to it.</summary>
/// <param name="UnitPath">The unit's materialised path; every unit whose path starts with it is included.</param>
/// <param name="PeriodNumbers">The periods whose typed-in rows count (for the final summary: every period and 0).</param>
/// <param name="AsOfUtc">When given, the table as the records stood at that moment: ledger entries recorded by then, the outcome
/// and typed-in versions current then (docs/reporting.md, "As-of verification"). Null: the records as they are now.</param>
/// <param name="Basis">The activities' details frozen with a report (rows, names, organisations, first and last session); when given
/// they stand in for the live activity records, which are not kept in versions.</param>
public sealed record TableScope(Guid CampaignId, string UnitPath, DateOnly From, DateOnly To, int[] PeriodNumbers, DateTime? AsOfUtc = null, ReportBasis? Basis = null);

/// <summary>What a frozen table's rows were made of besides the versioned records: each activity with a row, as it was when frozen.</summary>
public sealed record ReportBasis(List<BasisActivity> Activities);

/// <param name="CoOrganizers">The co-organising organisations, by id.</param>
public sealed record BasisActivity(Guid Id, string Title, string Host, Guid HostOrganizationId, string? OtherPopulation, bool IsBackEntry,
    DateTime FirstStart, DateTime LastStart, List<Guid> CoOrganizers);

/// <summary>
/// Computes the statistics table from the platform's records, by the definitions in docs/reporting.md:
/// a session belongs to the period in which it starts (China time); person-times and minutes come
/// from the hour ledger (confirmed hours only; a reversal cancels the entry it reverses); an
/// activity's outcome (population served, money, media) counts once, in the period of its last session.
/// </summary>
public sealed partial class ReportCalculator(AppDbContext db)
{
    /// <summary>Stored with every frozen table; raise it when a definition changes, so old submissions say which rules made them.
    /// Version 2: the media figures of typed-in activity rows reach the media table.</summary>
    public const int ComputationVersion = 2;

    /// <summary>An activity with a row in the table: in the scope's subtree, neither draft nor cancelled, with a session starting in the span.</summary>
    internal sealed record ScopeActivity(Guid Id, string Title, string Host, Guid HostOrganizationId, string? OtherPopulation, bool IsBackEntry,
        DateTime FirstStart, DateTime LastStart)
    {
        public string Name => $"{Title}（{Host}）";

        /// <summary>The outcome is reported in the period of the activity's last session, so it is never counted twice.</summary>
        public bool Finishes(DateTime toUtc) => LastStart < toUtc;
    }

    /// <summary>The activities with a row, in the table's order (first session in the span, then title). The table and every drill-down start here.</summary>
    internal async Task<List<ScopeActivity>> ActivitiesAsync(TableScope scope, CancellationToken cancellationToken) =>
        InTableOrder((await ScopeActivities(scope).AsNoTracking().ToListAsync(cancellationToken)).Select(a => a.ToActivity()));

    static List<ScopeActivity> InTableOrder(IEnumerable<ScopeActivity> activities) =>
        activities.OrderBy(a => a.FirstStart).ThenBy(a => a.Title, StringComparer.Ordinal).ThenBy(a => a.Id).ToList();

    /// <summary>One row of <see cref="ScopeActivities"/>: a class with setters, so that the table can join more to it in the same statement.</summary>
    internal sealed class ScopeActivityRow
    {
        public Guid Id { get; init; }
        public string Title { get; init; } = "";
        public string Host { get; init; } = "";
        public Guid HostOrganizationId { get; init; }
        public string? OtherPopulation { get; init; }
        public bool IsBackEntry { get; init; }
        public DateTime FirstStart { get; init; }
        public DateTime LastStart { get; init; }

        public ScopeActivity ToActivity() => new(Id, Title, Host, HostOrganizationId, OtherPopulation, IsBackEntry, FirstStart, LastStart);
    }

    /// <summary>The activities with a row, as a query (unordered).</summary>
    IQueryable<ScopeActivityRow> ScopeActivities(TableScope scope)
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
        return
            from f in firstStarts
            join a in db.Activities on f.ActivityId equals a.Id
            join u in db.Units on a.UnitId equals u.Id
            // Activities called off did not happen (ADR 0015) and are not reported.
            where EF.Functions.Like(u.Path, EF.Constant(path + "%")) && a.Status != ActivityStatus.Draft && a.Status != ActivityStatus.Cancelled
            select new ScopeActivityRow
            {
                Id = a.Id, Title = a.Title, Host = a.HostOrganization!.Name, HostOrganizationId = a.HostOrganizationId, OtherPopulation = a.OtherPopulation,
                IsBackEntry = a.IsBackEntry, FirstStart = f.FirstStart, LastStart = a.Sessions.Max(s => s.StartsAtUtc),
            };
    }

    /// <summary>The sessions whose ledger entries count: those of these activities that start in the span (a session belongs to the period in which it starts).</summary>
    /// Without ids: every session starting in the span (the table joins the result to its activity list in the same statement).
    IQueryable<ActivitySession> CountedSessions(DateTime fromUtc, DateTime toUtc, Guid[]? ids) =>
        ids is null
            ? db.ActivitySessions.Where(s => s.StartsAtUtc >= fromUtc && s.StartsAtUtc < toUtc)
            : db.ActivitySessions.Where(s => s.StartsAtUtc >= fromUtc && s.StartsAtUtc < toUtc && EF.Parameter(ids).Contains(s.ActivityId));

    /// <summary>The ledger entries a table counts, each with its session: person-times and hours are sums over exactly these.</summary>
    internal IQueryable<CountedEntry> CountedEntries(DateTime fromUtc, DateTime toUtc, Guid[]? ids, DateTime? asOfUtc = null) =>
        // As of a moment: the ledger is append-only, so the entries recorded by then are the ledger as it stood.
        from e in asOfUtc is { } asOf ? db.LedgerEntries.Where(e => e.RecordedAtUtc <= asOf) : db.LedgerEntries
        join s in CountedSessions(fromUtc, toUtc, ids) on e.SessionId equals s.Id
        select new CountedEntry { Entry = e, Session = s };

    internal sealed class CountedEntry
    {
        public required LedgerEntry Entry { get; init; }

        public required ActivitySession Session { get; init; }
    }

    /// <summary>What one ledger entry adds to person-times: a confirmation or correction +1, a reversal −1 (so a corrected attendance counts once).</summary>
    public static int PersonTimesOf(LedgerEntryKind kind) => kind == LedgerEntryKind.Reversal ? -1 : 1;

    internal async Task<ILookup<Guid, Guid>> CoOrganizersAsync(Guid[] ids, CancellationToken cancellationToken) =>
        (await db.ActivityCoOrganizers.Where(c => EF.Parameter(ids).Contains(c.ActivityId))
            .Select(c => new { c.ActivityId, c.OrganizationId }).ToListAsync(cancellationToken))
        .ToLookup(c => c.ActivityId, c => c.OrganizationId);

    /// <summary>The organisations taking part in an activity's row: the host and the co-organisers, each once.</summary>
    internal static List<Guid> Taking(ScopeActivity activity, ILookup<Guid, Guid> coOrganizers) =>
        coOrganizers[activity.Id].Append(activity.HostOrganizationId).Distinct().ToList();

    // Outcomes, their lines and typed-in rows are kept in versions: the current ones are those not superseded;
    // as of a moment, those recorded by then and not yet superseded then.
    IQueryable<ActivityOutcome> OutcomeVersions(DateTime? asOfUtc) => asOfUtc is { } at
        ? db.ActivityOutcomes.Where(o => o.UpdatedAtUtc <= at && (o.SupersededAtUtc == null || o.SupersededAtUtc > at))
        : db.ActivityOutcomes.Where(o => o.SupersededAtUtc == null);

    IQueryable<PopulationServed> PopulationVersions(DateTime? asOfUtc) => asOfUtc is { } at
        ? db.PopulationServed.Where(p => p.RecordedAtUtc <= at && (p.SupersededAtUtc == null || p.SupersededAtUtc > at))
        : db.PopulationServed.Where(p => p.SupersededAtUtc == null);

    IQueryable<MediaLink> LinkVersions(DateTime? asOfUtc) => asOfUtc is { } at
        ? db.MediaLinks.Where(m => m.RecordedAtUtc <= at && (m.SupersededAtUtc == null || m.SupersededAtUtc > at))
        : db.MediaLinks.Where(m => m.SupersededAtUtc == null);

    IQueryable<TypedInRow> TypedInVersions(DateTime? asOfUtc) => asOfUtc is { } at
        ? db.TypedInRows.Where(t => t.RecordedAtUtc <= at && (t.SupersededAtUtc == null || t.SupersededAtUtc > at))
        : db.TypedInRows.Where(t => t.SupersededAtUtc == null);

    internal IQueryable<ActivityOutcome> OutcomesOf(Guid[] finishing, DateTime? asOfUtc = null) =>
        OutcomeVersions(asOfUtc).AsNoTracking().Where(o => EF.Parameter(finishing).Contains(o.ActivityId));

    /// <summary>The population lines that count: those with person-times above zero.</summary>
    internal IQueryable<PopulationServed> PopulationOf(Guid[] finishing, DateTime? asOfUtc = null) =>
        PopulationVersions(asOfUtc).AsNoTracking().Where(p => EF.Parameter(finishing).Contains(p.ActivityId) && p.PersonTimes > 0);

    internal IQueryable<MediaLink> LinksOf(Guid[] finishing, DateTime? asOfUtc = null) =>
        LinkVersions(asOfUtc).AsNoTracking().Where(m => EF.Parameter(finishing).Contains(m.ActivityId)).OrderBy(m => m.Id);

    /// <summary>The typed-in rows of the scope: those of the reports of its periods, of the unit and every unit below it, in the table's order.</summary>
    internal IQueryable<TypedInRow> TypedInOf(TableScope scope) =>
        from t in TypedInVersions(scope.AsOfUtc)
        join r in db.CampaignReports on t.ReportId equals r.Id
        join u in db.Units on r.UnitId equals u.Id
        where r.CampaignId == scope.CampaignId && scope.PeriodNumbers.Contains(r.PeriodNumber) && u.Path.StartsWith(scope.UnitPath)
        orderby r.PeriodNumber, u.Path, t.CreatedAtUtc, t.Id
        select t;

    /// <summary>A computed activity has a row in the media table when its outcome names a print or website report, or it has a link.</summary>
    internal static bool HasMediaRow(int printReports, int websiteReports, int links) => printReports > 0 || websiteReports > 0 || links > 0;

    /// <summary>A typed-in activity row also has a media row when any of its media figures is above zero or it gives a link.</summary>
    internal static bool HasMediaRow(TypedInRow row) => row.IsMedia || row.PrintReports > 0 || row.WebsiteReports > 0 || SplitLinks(row.Links).Count > 0 || row.Reads > 0;

    public async Task<ReportTable> ComputeAsync(TableScope scope, string unitName, string title, string contactName, string contactPhone,
        CancellationToken cancellationToken = default) =>
        (await ComputeWithBasisAsync(scope, unitName, title, contactName, contactPhone, cancellationToken)).Table;

    /// <summary>The table and what its rows were made of (frozen with a submission, for the as-of check).</summary>
    public async Task<(ReportTable Table, ReportBasis Basis)> ComputeWithBasisAsync(TableScope scope, string unitName, string title, string contactName, string contactPhone,
        CancellationToken cancellationToken = default)
    {
        var (fromUtc, toUtc) = CampaignCalendar.UtcRange(scope.From, scope.To);
        List<ScopeActivity> activities;
        Dictionary<Guid, Served> served;
        Dictionary<Guid, OutcomeFigures> outcomes;
        ILookup<Guid, Guid> coOrganizers;
        if (scope.Basis is null)
        {
            // The activity list, its ledger sums and its outcomes in one statement: the same queries the
            // drill-down runs (ScopeActivities, CountedEntries), summed and joined in the database rather than
            // read one after the other (docs/performance.md, "Campaign reports"). The records as they are now
            // take each session's sums kept beside the ledger (Hours/SessionTotals.cs: the same sums, kept
            // by a trigger and checked by the integrity command); as of a past moment, the ledger as it stood.
            var servedByActivity = scope.AsOfUtc is null
                ? from s in CountedSessions(fromUtc, toUtc, null)
                  join t in db.SessionTotals on s.Id equals t.SessionId
                  group t by s.ActivityId into g
                  select new { ActivityId = g.Key, PersonTimes = g.Sum(t => t.PersonTimes), Minutes = g.Sum(t => t.Minutes) }
                : from c in CountedEntries(fromUtc, toUtc, null, scope.AsOfUtc)
                  group c.Entry by c.Session.ActivityId into g
                  select new { ActivityId = g.Key, PersonTimes = g.Sum(e => e.Kind == LedgerEntryKind.Reversal ? -1 : 1), Minutes = g.Sum(e => e.Minutes) };
            var listed = await (
                    from a in ScopeActivities(scope)
                    join s in servedByActivity on a.Id equals s.ActivityId into ss
                    from s in ss.DefaultIfEmpty()
                    join o in OutcomeVersions(scope.AsOfUtc) on a.Id equals o.ActivityId into os
                    from o in os.DefaultIfEmpty()
                    select new
                    {
                        a.Id, a.Title, a.Host, a.HostOrganizationId, a.OtherPopulation, a.IsBackEntry, a.FirstStart, a.LastStart,
                        PersonTimes = (int?)s.PersonTimes, Minutes = (int?)s.Minutes,
                        HasOutcome = o != null, Money = (decimal?)o.MoneyAndMaterialsYuan, PrintReports = (int?)o.PrintReports, WebsiteReports = (int?)o.WebsiteReports,
                    })
                .AsNoTracking().ToListAsync(cancellationToken);
            activities = InTableOrder(listed.Select(a => new ScopeActivity(a.Id, a.Title, a.Host, a.HostOrganizationId, a.OtherPopulation, a.IsBackEntry, a.FirstStart, a.LastStart)));
            served = listed.Where(a => a.PersonTimes is not null).ToDictionary(a => a.Id, a => new Served(a.PersonTimes!.Value, a.Minutes!.Value));
            // An outcome counts in the period of the activity's last session only.
            outcomes = listed.Where(a => a.HasOutcome && a.LastStart < toUtc)
                .ToDictionary(a => a.Id, a => new OutcomeFigures(a.Money!.Value, a.PrintReports!.Value, a.WebsiteReports!.Value));
            // The remaining look-ups take the ids as one array parameter rather than filtering the activities
            // again each (a city-wide week is about 12,000 activities).
            coOrganizers = await CoOrganizersAsync(activities.Select(a => a.Id).ToArray(), cancellationToken);
        }
        else
        {
            // As of a submission: the rows are the ones frozen with it, every figure comes from the records as they stood.
            activities = scope.Basis.Activities.Select(a => new ScopeActivity(a.Id, a.Title, a.Host, a.HostOrganizationId, a.OtherPopulation, a.IsBackEntry, a.FirstStart, a.LastStart)).ToList();
            var basisIds = activities.Select(a => a.Id).ToArray();
            served = await (
                    from c in CountedEntries(fromUtc, toUtc, basisIds, scope.AsOfUtc)
                    group c.Entry by c.Session.ActivityId into g
                    select new { ActivityId = g.Key, PersonTimes = g.Sum(e => e.Kind == LedgerEntryKind.Reversal ? -1 : 1), Minutes = g.Sum(e => e.Minutes) })
                .ToDictionaryAsync(x => x.ActivityId, x => new Served(x.PersonTimes, x.Minutes), cancellationToken);
            coOrganizers = scope.Basis.Activities.SelectMany(a => a.CoOrganizers.Select(o => (a.Id, o))).ToLookup(p => p.Id, p => p.o);
            var finishingNow = activities.Where(a => a.Finishes(toUtc)).Select(a => a.Id).ToArray();
            outcomes = await OutcomesOf(finishingNow, scope.AsOfUtc)
                .ToDictionaryAsync(o => o.ActivityId, o => new OutcomeFigures(o.MoneyAndMaterialsYuan, o.PrintReports, o.WebsiteReports), cancellationToken);
        }

        var finishing = activities.Where(a => a.Finishes(toUtc)).Select(a => a.Id).ToArray();
        var population = (await PopulationOf(finishing, scope.AsOfUtc).Select(p => new { p.ActivityId, p.PopulationType, p.PersonTimes }).ToListAsync(cancellationToken))
            .ToLookup(p => p.ActivityId);
        var links = (await LinksOf(finishing, scope.AsOfUtc).Select(m => new { m.ActivityId, m.Url, m.Reads }).ToListAsync(cancellationToken))
            .ToLookup(m => m.ActivityId);

        var typedIn = await TypedInOf(scope).AsNoTracking().ToListAsync(cancellationToken);

        var rows = new List<ActivityRow>();
        var media = new List<MediaRow>();
        var organizations = new HashSet<Guid>();
        foreach (var a in activities)
        {
            var taking = Taking(a, coOrganizers);
            organizations.UnionWith(taking);
            served.TryGetValue(a.Id, out var s);
            outcomes.TryGetValue(a.Id, out var outcome);
            var types = population[a.Id].OrderBy(p => p.PopulationType).ToList();
            rows.Add(new ActivityRow(a.Name, s?.PersonTimes ?? 0, taking.Count,
                string.Join("、", types.Select(t => PopulationName(t.PopulationType, a.OtherPopulation))),
                types.Sum(t => t.PersonTimes), s?.Minutes ?? 0, outcome?.MoneyAndMaterialsYuan ?? 0, IsTypedIn: false, IsBackEntry: a.IsBackEntry, Id: a.Id));
            var activityLinks = links[a.Id].ToList();
            if (HasMediaRow(outcome?.PrintReports ?? 0, outcome?.WebsiteReports ?? 0, activityLinks.Count))
            {
                media.Add(new MediaRow(a.Name, outcome?.PrintReports ?? 0, outcome?.WebsiteReports ?? 0, activityLinks.Select(l => l.Url).ToList(),
                    activityLinks.Sum(l => l.Reads), IsTypedIn: false, IsBackEntry: a.IsBackEntry, Id: a.Id));
            }
        }
        foreach (var t in typedIn)
        {
            if (!t.IsMedia)
            {
                rows.Add(new ActivityRow(t.Name, t.PersonTimes, t.Organizations, t.PopulationTypes, t.PopulationPersonTimes, t.Minutes, t.MoneyYuan, IsTypedIn: true, Id: t.Id));
            }
            // A typed-in media row is a media-table row only; an activity typed in with its media coverage
            // also has its row in the media table, as a platform activity with an outcome does.
            if (HasMediaRow(t))
            {
                media.Add(new MediaRow(t.Name, t.PrintReports, t.WebsiteReports, SplitLinks(t.Links), t.Reads, IsTypedIn: true, Id: t.Id));
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
        var table = new ReportTable(unitName, title, scope.From, scope.To, rows, activityTotal, media, mediaTotal, contactName, contactPhone);
        return (table, new ReportBasis(activities.Select(a => new BasisActivity(a.Id, a.Title, a.Host, a.HostOrganizationId, a.OtherPopulation, a.IsBackEntry,
            a.FirstStart, a.LastStart, coOrganizers[a.Id].Distinct().Order().ToList())).ToList()));
    }

    sealed record Served(int PersonTimes, int Minutes);

    sealed record OutcomeFigures(decimal MoneyAndMaterialsYuan, int PrintReports, int WebsiteReports);

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
