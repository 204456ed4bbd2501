using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Campaigns;

/// <summary>What a drilled item is.</summary>
public enum DrillItemKind
{
    /// <summary>One volunteer at one session: the ledger entries that credit it (confirmation, reversal, correction).</summary>
    Attendance,

    /// <summary>A platform organisation taking part (host or co-organiser), with the rows it appears in.</summary>
    Organization,

    /// <summary>A population line of an activity's outcome (type and person-times served).</summary>
    Population,

    /// <summary>An activity's outcome: money and materials, or its print and website report counts.</summary>
    Outcome,

    /// <summary>A web or WeChat link of an activity's outcome, with its read count.</summary>
    MediaLink,

    /// <summary>A row typed in by a unit for an activity run outside the platform: counted as stated.</summary>
    TypedIn,
}

/// <summary>One ledger entry behind an attendance: who recorded it, when, and why (for a reversal or correction).</summary>
public sealed record DrillLedgerLine(Guid Id, LedgerEntryKind Kind, int Minutes, DateTime StartUtc, DateTime EndUtc, DateTime RecordedAtUtc, string RecordedBy,
    string Reason, Guid? ReversesEntryId, bool IsBackEntry);

/// <summary>
/// One record a figure is made of. <paramref name="Value"/> is what it adds to the figure, in the figure's unit
/// (a count; minutes for hours; yuan for money): the figure is exactly the sum of its items' values.
/// </summary>
/// <param name="Row">The table row the item belongs to (activity title with its host, or the typed-in row's name); organisations list all their rows in <paramref name="FromRows"/>.</param>
/// <param name="Label">The volunteer (name masked, with volunteer number), the organisation, the population type, the link, or the typed-in row.</param>
public sealed record DrillItem(
    DrillItemKind Kind,
    string Row,
    Guid? RowId,
    string Label,
    decimal Value,
    DateTime? SessionStartUtc,
    DateTime? SessionEndUtc,
    IReadOnlyList<DrillLedgerLine> Entries,
    IReadOnlyList<string> FromRows,
    bool IsTypedIn,
    string? EnteredBy,
    DateTime? EnteredAtUtc);

/// <summary>
/// The records behind one cell of the statistics table (a row, or the 合计 row when <paramref name="RowId"/> is null),
/// listed by the same queries that compute the table. <paramref name="Value"/> is the sum of the items' values; for the
/// organisations total, <paramref name="ColumnSum"/> is what the column adds up to (an organisation in several rows
/// counts once in the total).
/// </summary>
/// <param name="Figure">The figure as the table shows it (hours with at most two decimals, money with two).</param>
/// <param name="SubmittedFigure">When the report is frozen: the figure in the submitted table (the drill lists the records as they are now).</param>
public sealed record CellDrillView(
    Guid CampaignId,
    string UnitCode,
    string UnitName,
    int PeriodNumber,
    DateOnly From,
    DateOnly To,
    Guid? RowId,
    string RowName,
    string Column,
    string ColumnName,
    string Figure,
    decimal Value,
    long? ColumnSum,
    string? Note,
    string? SubmittedFigure,
    DateTime? FrozenAtUtc,
    List<DrillItem> Items);

public sealed partial class ReportCalculator
{
    /// <summary>The columns a cell can be drilled in: table 1's, then table 2's (媒体宣传情况).</summary>
    public static readonly string[] ActivityColumns = ["personTimes", "organizations", "populationTypes", "populationPersonTimes", "hours", "moneyYuan"];

    public static readonly string[] MediaColumns = ["printReports", "websiteReports", "links", "reads"];

    public static bool IsColumn(string column) => ActivityColumns.Contains(column) || MediaColumns.Contains(column);

    /// <summary>What one cell is made of, or null when the row is not in this table.</summary>
    internal sealed record DrillResult(string RowName, List<DrillItem> Items, long? ColumnSum, string? NoteKey, object[] NoteArguments);

    /// <summary>
    /// The records behind one cell: the activities, ledger entries, outcomes and typed-in rows of the scope, read by the
    /// same queries <see cref="ComputeAsync"/> sums (ActivitiesAsync, CountedEntries, OutcomesOf, PopulationOf, LinksOf,
    /// TypedInOf), so that the items' values add up to the figure. <paramref name="rowId"/> null is the 合计 row: the union.
    /// </summary>
    internal async Task<DrillResult?> DrillAsync(TableScope scope, Guid? rowId, string column, CancellationToken cancellationToken = default)
    {
        var (fromUtc, toUtc) = CampaignCalendar.UtcRange(scope.From, scope.To);
        var media = MediaColumns.Contains(column);
        var activities = await ActivitiesAsync(scope, cancellationToken);
        var typedIn = (await TypedInOf(scope).AsNoTracking().ToListAsync(cancellationToken))
            .Where(t => media ? HasMediaRow(t) : !t.IsMedia).ToList();
        string rowName;
        if (rowId is null)
        {
            rowName = "合计";
        }
        else if (activities.FirstOrDefault(a => a.Id == rowId) is { } activity)
        {
            (activities, typedIn, rowName) = ([activity], [], activity.Name);
        }
        else if (typedIn.FirstOrDefault(t => t.Id == rowId) is { } row)
        {
            (activities, typedIn, rowName) = ([], [row], row.Name);
        }
        else
        {
            return null;
        }
        var ids = activities.Select(a => a.Id).ToArray();
        var finishing = activities.Where(a => a.Finishes(toUtc)).ToList();
        var finishingIds = finishing.Select(a => a.Id).ToArray();
        var byId = activities.ToDictionary(a => a.Id);
        var order = activities.Select((a, i) => (a.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var items = new List<DrillItem>();
        long? columnSum = null;
        string? noteKey = null;
        object[] noteArguments = [];
        DrillItem Typed(TypedInRow t, decimal value, string? label = null) =>
            new(DrillItemKind.TypedIn, t.Name, t.Id, label ?? t.Name, value, null, null, [], [], true, t.CreatedBy, t.CreatedAtUtc);

        switch (column)
        {
            case "personTimes" or "hours":
            {
                var entries = await (
                        from c in CountedEntries(fromUtc, toUtc, ids)
                        join v in db.Volunteers on c.Entry.VolunteerId equals v.Id
                        select new
                        {
                            c.Session.ActivityId, SessionId = c.Session.Id, c.Session.StartsAtUtc, c.Session.EndsAtUtc, v.Number, v.Name,
                            c.Entry.Id, c.Entry.VolunteerId, c.Entry.Kind, c.Entry.Minutes, c.Entry.StartUtc, c.Entry.EndUtc, c.Entry.RecordedAtUtc,
                            c.Entry.RecordedBy, c.Entry.Reason, c.Entry.ReversesEntryId, c.Entry.IsBackEntry,
                        })
                    .AsNoTracking().ToListAsync(cancellationToken);
                items.AddRange(entries
                    .GroupBy(e => (e.ActivityId, e.SessionId, e.VolunteerId))
                    .OrderBy(g => order[g.Key.ActivityId]).ThenBy(g => g.First().StartsAtUtc).ThenBy(g => g.First().Number, StringComparer.Ordinal)
                    .Select(g =>
                    {
                        var first = g.First();
                        // In the order they were recorded; a reversal and its correction, recorded together, after the entry they replace.
                        var lines = g.OrderBy(e => e.RecordedAtUtc).ThenBy(e => e.Kind switch { LedgerEntryKind.Confirmed => 0, LedgerEntryKind.Reversal => 1, _ => 2 }).ThenBy(e => e.Id)
                            .Select(e => new DrillLedgerLine(e.Id, e.Kind, e.Minutes, e.StartUtc, e.EndUtc, e.RecordedAtUtc, e.RecordedBy, e.Reason, e.ReversesEntryId, e.IsBackEntry))
                            .ToList();
                        var value = column == "hours" ? g.Sum(e => e.Minutes) : g.Sum(e => PersonTimesOf(e.Kind));
                        return new DrillItem(DrillItemKind.Attendance, byId[g.Key.ActivityId].Name, g.Key.ActivityId,
                            $"{Certificates.MaskName(first.Name)}（{first.Number}）", value, first.StartsAtUtc, first.EndsAtUtc, lines, [], false, null, null);
                    }));
                items.AddRange(typedIn.Select(t => Typed(t, column == "hours" ? t.Minutes : t.PersonTimes)));
                break;
            }
            case "organizations":
            {
                var coOrganizers = await CoOrganizersAsync(ids, cancellationToken);
                var taking = activities.Select(a => (Activity: a, Organizations: Taking(a, coOrganizers))).ToList();
                var orgIds = taking.SelectMany(t => t.Organizations).Distinct().ToArray();
                var names = await db.Organizations.AsNoTracking().Where(o => EF.Parameter(orgIds).Contains(o.Id))
                    .Select(o => new { o.Id, o.Name }).ToDictionaryAsync(o => o.Id, o => o.Name, cancellationToken);
                // Each organisation once, in the order it first appears, with every row it appears in.
                items.AddRange(taking.SelectMany(t => t.Organizations.Select(o => (Organization: o, t.Activity)))
                    .GroupBy(x => x.Organization)
                    .Select(g => new DrillItem(DrillItemKind.Organization, g.First().Activity.Name, g.First().Activity.Id, names[g.Key], 1, null, null, [],
                        g.Select(x => x.Activity.Name).ToList(), false, null, null)));
                items.AddRange(typedIn.Select(t => Typed(t, t.Organizations)));
                columnSum = taking.Sum(t => (long)t.Organizations.Count) + typedIn.Sum(t => (long)t.Organizations);
                break;
            }
            case "populationTypes" or "populationPersonTimes":
            {
                var lines = await PopulationOf(finishingIds).Select(p => new { p.ActivityId, p.PopulationType, p.PersonTimes }).ToListAsync(cancellationToken);
                items.AddRange(lines.OrderBy(p => order[p.ActivityId]).ThenBy(p => p.PopulationType)
                    .Select(p => new DrillItem(DrillItemKind.Population, byId[p.ActivityId].Name, p.ActivityId,
                        PopulationName(p.PopulationType, byId[p.ActivityId].OtherPopulation), p.PersonTimes, null, null, [], [], false, null, null)));
                items.AddRange(typedIn.Select(t => Typed(t, t.PopulationPersonTimes, t.PopulationTypes.Length > 0 ? $"{t.Name}：{t.PopulationTypes}" : null)));
                break;
            }
            case "moneyYuan" or "printReports" or "websiteReports":
            {
                var outcomes = await OutcomesOf(finishingIds).Select(o => new { o.ActivityId, o.MoneyAndMaterialsYuan, o.PrintReports, o.WebsiteReports, o.UpdatedAtUtc })
                    .ToListAsync(cancellationToken);
                items.AddRange(outcomes.OrderBy(o => order[o.ActivityId])
                    .Select(o => (o, Value: column switch { "moneyYuan" => o.MoneyAndMaterialsYuan, "printReports" => o.PrintReports, _ => (decimal)o.WebsiteReports }))
                    // Money is listed for every outcome (a stated 0.00 is a statement too); report counts where there are any.
                    .Where(x => column == "moneyYuan" || x.Value != 0)
                    .Select(x => new DrillItem(DrillItemKind.Outcome, byId[x.o.ActivityId].Name, x.o.ActivityId, byId[x.o.ActivityId].Name, x.Value, null, null, [], [],
                        false, null, x.o.UpdatedAtUtc)));
                items.AddRange(typedIn.Select(t => Typed(t, column switch { "moneyYuan" => t.MoneyYuan, "printReports" => t.PrintReports, _ => t.WebsiteReports }))
                    .Where(i => column == "moneyYuan" || i.Value != 0));
                break;
            }
            case "links" or "reads":
            {
                var links = await LinksOf(finishingIds).Select(m => new { m.ActivityId, m.Url, m.Reads }).ToListAsync(cancellationToken);
                items.AddRange(links.OrderBy(l => order[l.ActivityId])
                    .Select(l => new DrillItem(DrillItemKind.MediaLink, byId[l.ActivityId].Name, l.ActivityId, l.Url, column == "links" ? 1 : l.Reads, null, null, [], [],
                        false, null, null)));
                // A typed-in row states its links one by one, and its reads for all of them together.
                items.AddRange(column == "links"
                    ? typedIn.SelectMany(t => SplitLinks(t.Links).Select(link => Typed(t, 1, link)))
                    : typedIn.Where(t => t.Reads != 0 || SplitLinks(t.Links).Count > 0).Select(t => Typed(t, t.Reads, t.Links.Length > 0 ? t.Links.Replace("\n", " ") : null)));
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(column), column, "Not a column of the statistics table.");
        }
        // Outcome figures count in the period of the activity's last session: say so when a row's cell is empty for that reason.
        if (rowId is not null && activities.Count == 1 && finishing.Count == 0 && column is not ("personTimes" or "hours" or "organizations"))
        {
            noteKey = "Drill.OutcomeLater";
            noteArguments = [Infrastructure.ChinaTime.Format(activities[0].LastStart)];
        }
        return new DrillResult(rowName, items, columnSum, noteKey, noteArguments);
    }
}
