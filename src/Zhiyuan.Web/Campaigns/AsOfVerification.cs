using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Zhiyuan.Web.Hours;

namespace Zhiyuan.Web.Campaigns;

/// <summary>One cell where a frozen table and the table recomputed as of its freezing time differ.</summary>
/// <param name="Table">activities (table 1) or media (table 2).</param>
/// <param name="Row">The row's name, or 合计 for the totals.</param>
/// <param name="ColumnKey">The column as the drill-down names it (personTimes, hours, …), or row for a row only one side has.</param>
/// <param name="Column">The column's heading in the reader's language.</param>
public sealed record CellDifference(string Table, string Row, string ColumnKey, string Column, string Frozen, string AsOf);

/// <summary>
/// The as-of check of a frozen report: the table recomputed from the records as they stood at <paramref name="AsOfUtc"/>
/// (the freezing time), compared cell by cell with what was frozen. <paramref name="Matches"/> is true only when every cell agrees.
/// </summary>
/// <param name="FrozenSha256">SHA-256 of the frozen table's canonical serialisation (<see cref="AsOfVerification.Canonical"/>).</param>
/// <param name="AsOfSha256">The same for the recomputed table: equal to the frozen one when they match.</param>
/// <param name="BasisFrozen">False for reports frozen before the activities' details were frozen with them: their rows come from the activity records as they are now.</param>
public sealed record AsOfCheck(DateTime AsOfUtc, bool Matches, List<CellDifference> Differences, string FrozenSha256, string AsOfSha256, bool BasisFrozen);

/// <summary>The canonical serialisation and hash of a statistics table, and the cell-by-cell comparison of two tables.</summary>
public static class AsOfVerification
{
    /// <summary>
    /// Canonical JSON of a table: UTF-8 without BOM, no whitespace, property names in camelCase in the order of
    /// <see cref="ReportTable"/>'s declaration, non-ASCII characters as themselves, yuan with exactly two decimals,
    /// dates yyyy-MM-dd. The same table always gives the same bytes, whichever database it was computed on.
    /// </summary>
    public static byte[] Canonical(ReportTable table) => JsonSerializer.SerializeToUtf8Bytes(table, CanonicalJson);

    public static string Sha256(ReportTable table) => Convert.ToHexStringLower(SHA256.HashData(Canonical(table)));

    static readonly JsonSerializerOptions CanonicalJson = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new TwoDecimals() },
    };

    sealed class TwoDecimals : JsonConverter<decimal>
    {
        public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDecimal();

        public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.ToString("0.00", CultureInfo.InvariantCulture));
    }

    /// <summary>Every cell that differs, row by row (rows matched by their id, or their name in tables frozen before rows had ids), then the totals.</summary>
    public static List<CellDifference> Compare(ReportTable frozen, ReportTable asOf, Func<string, string> heading)
    {
        var differences = new List<CellDifference>();
        static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
        static string Y(decimal value) => value.ToString("0.00", CultureInfo.InvariantCulture);
        void Cells(string table, string row, IEnumerable<(string Key, string Frozen, string AsOf)> cells) =>
            differences.AddRange(cells.Where(c => c.Frozen != c.AsOf).Select(c => new CellDifference(table, row, c.Key, heading(c.Key), c.Frozen, c.AsOf)));

        static string KeyOf(Guid? id, string name, bool typedIn) => id?.ToString() ?? (typedIn ? "t:" : "a:") + name;
        void Rows<T>(string table, IReadOnlyList<T> left, IReadOnlyList<T> right, Func<T, string> key, Func<T, string> name,
            Func<T, T, IEnumerable<(string, string, string)>> cells)
        {
            var rightByKey = right.GroupBy(key).ToDictionary(g => g.Key, g => g.First());
            var leftKeys = left.Select(key).ToHashSet();
            foreach (var l in left)
            {
                if (rightByKey.TryGetValue(key(l), out var r))
                {
                    Cells(table, name(l), cells(l, r));
                }
                else
                {
                    Cells(table, name(l), [("row", name(l), "—")]);
                }
            }
            foreach (var r in right.Where(r => !leftKeys.Contains(key(r))))
            {
                Cells(table, name(r), [("row", "—", name(r))]);
            }
        }

        Rows("activities", frozen.Activities, asOf.Activities, a => KeyOf(a.Id, a.Name, a.IsTypedIn), a => a.Name, (l, r) =>
        [
            ("name", l.Name, r.Name),
            ("personTimes", N(l.PersonTimes), N(r.PersonTimes)),
            ("organizations", N(l.Organizations), N(r.Organizations)),
            ("populationTypes", l.PopulationTypes, r.PopulationTypes),
            ("populationPersonTimes", N(l.PopulationPersonTimes), N(r.PopulationPersonTimes)),
            ("hours", HourUseCases.FormatHours(l.Minutes), HourUseCases.FormatHours(r.Minutes)),
            ("moneyYuan", Y(l.MoneyYuan), Y(r.MoneyYuan)),
        ]);
        Cells("activities", "合计",
        [
            ("personTimes", N(frozen.ActivityTotal.PersonTimes), N(asOf.ActivityTotal.PersonTimes)),
            ("organizations", N(frozen.ActivityTotal.Organizations), N(asOf.ActivityTotal.Organizations)),
            ("populationPersonTimes", N(frozen.ActivityTotal.PopulationPersonTimes), N(asOf.ActivityTotal.PopulationPersonTimes)),
            ("hours", HourUseCases.FormatHours(frozen.ActivityTotal.Minutes), HourUseCases.FormatHours(asOf.ActivityTotal.Minutes)),
            ("moneyYuan", Y(frozen.ActivityTotal.MoneyYuan), Y(asOf.ActivityTotal.MoneyYuan)),
        ]);
        Rows("media", frozen.Media, asOf.Media, m => KeyOf(m.Id, m.Name, m.IsTypedIn), m => m.Name, (l, r) =>
        [
            ("name", l.Name, r.Name),
            ("printReports", N(l.PrintReports), N(r.PrintReports)),
            ("websiteReports", N(l.WebsiteReports), N(r.WebsiteReports)),
            ("links", string.Join(" ", l.Links), string.Join(" ", r.Links)),
            ("reads", N(l.Reads), N(r.Reads)),
        ]);
        Cells("media", "合计",
        [
            ("printReports", N(frozen.MediaTotal.PrintReports), N(asOf.MediaTotal.PrintReports)),
            ("websiteReports", N(frozen.MediaTotal.WebsiteReports), N(asOf.MediaTotal.WebsiteReports)),
            ("links", N(frozen.MediaTotal.Links), N(asOf.MediaTotal.Links)),
            ("reads", N(frozen.MediaTotal.Reads), N(asOf.MediaTotal.Reads)),
        ]);
        // Anything else the canonical form holds (the heading, the dates, the contact, the marks of rows) is compared by the hashes.
        if (differences.Count == 0 && (Sha256(frozen), Sha256(asOf)) is var (frozenHash, asOfHash) && frozenHash != asOfHash)
        {
            differences.Add(new CellDifference("activities", "—", "other", heading("other"), frozenHash[..12], asOfHash[..12]));
        }
        return differences;
    }
}
