using System.Globalization;
using System.Security.Claims;
using System.Text;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Campaigns;

public sealed partial class ReportUseCases
{
    /// <summary>
    /// The records behind one cell of a unit's table (<paramref name="row"/>: a row's id, or "total" for the 合计 row), scoped like the
    /// table: the caller's own unit and the units below it, nothing else (not found). Lists the records as they are now; for a frozen
    /// report the submitted figure is given beside them.
    /// </summary>
    public async Task<Outcome<CellDrillView>> DrillAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, string row, string column,
        CancellationToken cancellationToken = default)
    {
        if (!ReportCalculator.IsColumn(column))
        {
            return Outcome<CellDrillView>.Invalid("column", text["Drill.Error.Column", column.Length > 40 ? column[..40] : column,
                string.Join(", ", ReportCalculator.ActivityColumns.Concat(ReportCalculator.MediaColumns))]);
        }
        Guid? rowId = null;
        if (!string.Equals(row, "total", StringComparison.OrdinalIgnoreCase))
        {
            if (!Guid.TryParse(row, out var id))
            {
                return Outcome<CellDrillView>.Invalid("row", text["Drill.Error.Row"]);
            }
            rowId = id;
        }
        var found = await AccessAsync(principal, campaignId, unitCode, periodNumber, cancellationToken);
        if (!found.Succeeded)
        {
            return Forward<CellDrillView>(found);
        }
        var access = found.Value!;
        var drill = await calculator.DrillAsync(new TableScope(access.Campaign.Id, access.LivePath, access.From, access.To, access.PeriodNumbers), rowId, column, cancellationToken);
        if (drill is null)
        {
            return Outcome<CellDrillView>.NotFound();
        }
        var value = drill.Items.Sum(i => i.Value);
        var figure = column == "populationTypes" ? string.Join("、", drill.Items.Where(i => i.Value > 0).Select(i => i.Label).Distinct()) : Format(column, value);
        var note = drill.NoteKey is null ? null : text[drill.NoteKey, drill.NoteArguments].Value;
        if (drill.ColumnSum is { } sum && sum != (long)value)
        {
            note = text["Drill.OrganizationsOnce", value.ToString("0", CultureInfo.InvariantCulture), sum, sum - (long)value].Value;
        }
        var report = await FindAsync(access, periodNumber, cancellationToken);
        var frozen = Frozen(report);
        var submitted = frozen is null ? null : SubmittedFigure(frozen, rowId, column);
        return Outcome<CellDrillView>.Ok(new CellDrillView(access.Campaign.Id, access.Unit.Code, access.Unit.Name, periodNumber, access.From, access.To, rowId,
            drill.RowName, column, text[$"Reports.Field.{column}"], figure, value, drill.ColumnSum, note, submitted, frozen is null ? null : report!.FrozenAtUtc, drill.Items));
    }

    /// <summary>A figure as the table shows it: hours from minutes with at most two decimals, money with two, counts whole.</summary>
    public static string Format(string column, decimal value) => column switch
    {
        "hours" => HourUseCases.FormatHours((long)value),
        "moneyYuan" => value.ToString("0.00", CultureInfo.InvariantCulture),
        _ => value.ToString("0", CultureInfo.InvariantCulture),
    };

    /// <summary>The cell of the submitted table, if it has the row (tables frozen before rows carried their ids have only totals).</summary>
    static string? SubmittedFigure(ReportTable table, Guid? rowId, string column)
    {
        if (ReportCalculator.MediaColumns.Contains(column))
        {
            var (print, website, links, reads) = rowId is null
                ? (table.MediaTotal.PrintReports, table.MediaTotal.WebsiteReports, table.MediaTotal.Links, table.MediaTotal.Reads)
                : table.Media.FirstOrDefault(m => m.Id == rowId) is { } m ? (m.PrintReports, m.WebsiteReports, (long)m.Links.Count, m.Reads) : (-1, -1, -1, -1);
            var cell = column switch { "printReports" => print, "websiteReports" => website, "links" => links, _ => reads };
            return cell < 0 ? null : Format(column, cell);
        }
        if (rowId is null)
        {
            var t = table.ActivityTotal;
            return column switch
            {
                "personTimes" => Format(column, t.PersonTimes),
                "organizations" => Format(column, t.Organizations),
                "populationTypes" => null,
                "populationPersonTimes" => Format(column, t.PopulationPersonTimes),
                "hours" => Format(column, t.Minutes),
                _ => Format(column, t.MoneyYuan),
            };
        }
        return table.Activities.FirstOrDefault(a => a.Id == rowId) is not { } r ? null : column switch
        {
            "personTimes" => Format(column, r.PersonTimes),
            "organizations" => Format(column, r.Organizations),
            "populationTypes" => r.PopulationTypes,
            "populationPersonTimes" => Format(column, r.PopulationPersonTimes),
            "hours" => Format(column, r.Minutes),
            _ => Format(column, r.MoneyYuan),
        };
    }

    /// <summary>The drilled records as CSV (UTF-8 with BOM so that Excel shows the Chinese): one line per record, and one per ledger entry of an attendance.</summary>
    public string DrillCsv(CellDrillView drill)
    {
        var csv = new StringBuilder("\uFEFF");
        string Line(IEnumerable<string> cells) => string.Join(',', cells.Select(CsvCell.Quote));
        csv.AppendLine(Line([$"{drill.UnitName} · {drill.From:yyyy-MM-dd}—{drill.To:yyyy-MM-dd} · {drill.RowName} · {drill.ColumnName}", drill.Figure]));
        csv.AppendLine(Line(new[] { "Drill.Kind", "Drill.Row", "Drill.Record", "Drill.Session", "Drill.Value", "Drill.Entry", "Drill.EntryMinutes", "Drill.RecordedAt",
            "Drill.RecordedBy", "Drill.Reason", "Drill.FromRows" }.Select(k => text[k].Value)));
        foreach (var item in drill.Items)
        {
            var session = item.SessionStartUtc is { } start ? ChinaTime.Format(start) + (item.SessionEndUtc is { } end ? "–" + ChinaTime.ToChina(end).ToString("HH:mm") : "") : "";
            var value = Format(drill.Column == "populationTypes" ? "populationPersonTimes" : drill.Column, item.Value);
            var kind = text[$"Drill.Kind.{item.Kind}"].Value;
            if (item.Entries.Count == 0)
            {
                csv.AppendLine(Line([kind, item.Row, item.Label, session, value, "", "", item.EnteredAtUtc is { } at ? ChinaTime.Format(at) : "", item.EnteredBy ?? "", "",
                    string.Join("、", item.FromRows)]));
                continue;
            }
            foreach (var (entry, i) in item.Entries.Select((e, i) => (e, i)))
            {
                csv.AppendLine(Line([kind, item.Row, item.Label, session, i == 0 ? value : "", text[$"Drill.Entry.{entry.Kind}"].Value,
                    entry.Minutes.ToString(CultureInfo.InvariantCulture), ChinaTime.Format(entry.RecordedAtUtc), entry.RecordedBy, entry.Reason, ""]));
            }
        }
        csv.AppendLine(Line([text["Drill.Sum"].Value, "", "", "", drill.Figure, "", "", "", "", drill.Note ?? "", ""]));
        return csv.ToString();
    }
}
