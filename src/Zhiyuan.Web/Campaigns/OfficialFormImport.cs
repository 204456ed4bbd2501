using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Campaigns;

/// <summary>
/// Either the rows of a filled form, or why not: a reason for the whole file, or every cell's error
/// (each starting with the cell's address, such as "D7: "). Rows come only when there is no error at all.
/// </summary>
public sealed record OfficialFormImportResult(string? FileError, IReadOnlyList<string> Errors, IReadOnlyList<ActivityRow> Activities, IReadOnlyList<MediaRow> Media)
{
    public bool Succeeded => FileError is null && Errors.Count == 0;
}

/// <summary>
/// Reads the official form (<see cref="OfficialForm"/>) as a unit filled it offline in Excel or WPS,
/// from our export or from the notice's blank form, into typed-in rows. The tables are found by their
/// header rows, not by fixed row numbers, since people insert and delete rows; the columns are the
/// notice's and are checked to be. The form's own 合计 rows are ignored: totals are always computed.
/// </summary>
public static partial class OfficialFormImport
{
    public const int MaxRows = 5_000;
    public const int MaxNameLength = 200;
    public const int MaxPopulationTypesLength = 200;

    // Bounds that keep a typo from overflowing what the table stores (minutes and yuan).
    const int MaxWholeNumber = 100_000_000;
    const decimal MaxHours = 10_000_000m;
    const decimal MaxMoney = 100_000_000_000m;

    enum Part { BeforeActivities, Activities, BetweenTables, Media }

    public static OfficialFormImportResult Parse(Stream file, string fileName, IStringLocalizer text)
    {
        try
        {
            return Read(SpreadsheetReader.Read(file, fileName, MaxRows), text);
        }
        catch (SpreadsheetException refused)
        {
            return Failed(text[refused.ReasonKey, refused.Arguments]);
        }
    }

    static OfficialFormImportResult Failed(string reason) => new(reason, [], [], []);

    static OfficialFormImportResult Read(IEnumerable<SpreadsheetRow> sheet, IStringLocalizer text)
    {
        var errors = new List<string>();
        var activities = new List<ActivityRow>();
        var media = new List<MediaRow>();
        var part = Part.BeforeActivities;
        foreach (var row in sheet)
        {
            if (row.IsEmpty)
            {
                continue;
            }
            var first = Compact(Cell(row, 0));
            if (part == Part.BeforeActivities)
            {
                if (IsHeader(row))
                {
                    if (WrongColumn(row, ActivityColumns, text) is { } wrong)
                    {
                        return Failed(wrong);
                    }
                    part = Part.Activities;
                }
                continue;
            }
            if (IsFooter(first))
            {
                break;
            }
            if (IsHeader(row))
            {
                // Table 2's header, whether or not the 合计 and 媒体宣传情况 rows before it survived editing.
                if (WrongColumn(row, MediaColumns, text) is { } wrong)
                {
                    return Failed(wrong);
                }
                part = Part.Media;
                continue;
            }
            if (first == OfficialForm.TotalLabel || first.StartsWith(OfficialForm.MediaSection, StringComparison.Ordinal))
            {
                if (part == Part.Media)
                {
                    break;
                }
                part = Part.BetweenTables;
                continue;
            }
            if (part == Part.Activities && !IsSubHeader(row) && HasData(row, 7))
            {
                ReadActivity(row, text, errors, activities);
            }
            else if (part == Part.Media && HasData(row, 5))
            {
                ReadMedia(row, text, errors, media);
            }
            else if (part == Part.BetweenTables)
            {
                // An activity added under 合计 would otherwise be left out without a word.
                var column = Array.FindIndex(row.Cells, c => !string.IsNullOrWhiteSpace(c));
                errors.Add(text["Form.Error.OutsideTables", ColumnName(column) + row.Number.ToString(CultureInfo.InvariantCulture)]);
            }
        }
        if (part == Part.BeforeActivities)
        {
            return Failed(text["Form.Error.NotTheForm"]);
        }
        return errors.Count > 0 ? new(null, errors, [], []) : new(null, [], activities, media);
    }

    static void ReadActivity(SpreadsheetRow row, IStringLocalizer text, List<string> errors, List<ActivityRow> rows)
    {
        var cells = new Cells(row, text, errors);
        var name = cells.Name(1);
        var personTimes = cells.WholeNumber(2, "Form.Field.PersonTimes");
        var organizations = cells.WholeNumber(3, "Form.Field.Organizations");
        var types = cells.Text(4, "Form.Field.PopulationTypes", MaxPopulationTypesLength);
        var served = cells.WholeNumber(5, "Form.Field.PopulationPersonTimes");
        var hours = cells.Decimal(6, "Form.Field.Hours", MaxHours);
        var money = cells.Decimal(7, "Form.Field.Money", MaxMoney);
        if (!cells.Failed)
        {
            var minutes = (int)Math.Round(hours * 60, MidpointRounding.AwayFromZero);
            rows.Add(new ActivityRow(name, personTimes, organizations, types, served, minutes, money, IsTypedIn: true));
        }
    }

    static void ReadMedia(SpreadsheetRow row, IStringLocalizer text, List<string> errors, List<MediaRow> rows)
    {
        var cells = new Cells(row, text, errors);
        var name = cells.Name(1);
        var print = cells.WholeNumber(2, "Form.Field.PrintReports");
        var website = cells.WholeNumber(3, "Form.Field.WebsiteReports");
        var links = cells.Links(4);
        var reads = cells.WholeNumber(5, "Form.Field.Reads");
        if (!cells.Failed)
        {
            rows.Add(new MediaRow(name, print, website, links, reads, IsTypedIn: true));
        }
    }

    /// <summary>One data row's cells, each checked once; every error is added with its cell's address.</summary>
    sealed class Cells(SpreadsheetRow row, IStringLocalizer text, List<string> errors)
    {
        public bool Failed { get; private set; }

        public string Name(int column)
        {
            var value = Text(column, "Form.Field.Name", MaxNameLength, stripSuffix: true);
            if (value.Length == 0 && !Failed)
            {
                Error(column, "Form.Error.Required", text["Form.Field.Name"]);
            }
            return value;
        }

        public string Text(int column, string field, int maxLength, bool stripSuffix = false)
        {
            if (Readable(column) is not { } value)
            {
                return "";
            }
            if (stripSuffix && value.EndsWith(OfficialForm.TypedInSuffix, StringComparison.Ordinal))
            {
                value = value[..^OfficialForm.TypedInSuffix.Length].TrimEnd();
            }
            if (value.Length > maxLength)
            {
                Error(column, "Form.Error.TooLong", text[field], maxLength);
            }
            return value;
        }

        /// <summary>A count: empty is 0; "12" and "12.0" are 12; a fraction or a sign is refused.</summary>
        public int WholeNumber(int column, string field)
        {
            if (Readable(column) is not { } value || value.Length == 0)
            {
                return 0;
            }
            if (ParseNumber(value) is not { } number || number != decimal.Truncate(number))
            {
                Error(column, "Form.Error.WholeNumber", text[field]);
                return 0;
            }
            if (number > MaxWholeNumber)
            {
                Error(column, "Form.Error.TooLarge", text[field], MaxWholeNumber);
                return 0;
            }
            return (int)number;
        }

        /// <summary>Hours or yuan: empty is 0; at most two decimals; "1,234.50" and "¥1234.5" are fine.</summary>
        public decimal Decimal(int column, string field, decimal max)
        {
            if (Readable(column) is not { } value || value.Length == 0)
            {
                return 0;
            }
            if (value[0] is '¥' or '￥')
            {
                value = value[1..].TrimStart();
            }
            if (ParseNumber(value) is not { } number || number != Math.Round(number, 2))
            {
                Error(column, "Form.Error.Decimal", text[field]);
                return 0;
            }
            if (number > max)
            {
                Error(column, "Form.Error.TooLarge", text[field], max);
                return 0;
            }
            return number;
        }

        /// <summary>The links, one or more a cell, apart by line breaks, spaces, 、 or ；; each a full http(s) address.</summary>
        public IReadOnlyList<string> Links(int column)
        {
            if (Readable(column) is not { } value)
            {
                return [];
            }
            var links = LinkSeparators().Split(value).Where(l => l.Length > 0).ToList();
            foreach (var link in links)
            {
                if (!Uri.TryCreate(link, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
                {
                    Error(column, "Form.Error.Link", link.Length > 60 ? link[..60] + "…" : link);
                }
            }
            return links;
        }

        /// <summary>The cell's text, or null after an error for a formula or an over-long cell.</summary>
        string? Readable(int column)
        {
            if (column < row.IsFormula.Length && row.IsFormula[column])
            {
                // The value Excel saved with a formula may be stale, and the formula is not run here.
                errors.Add($"{Address(column)}: {text["Import.Error.Formula"]}");
                Failed = true;
                return null;
            }
            if (column < row.IsTooLong.Length && row.IsTooLong[column])
            {
                errors.Add($"{Address(column)}: {text["Import.Error.CellTooLong", SpreadsheetReader.MaxCellLength]}");
                Failed = true;
                return null;
            }
            return Cell(row, column);
        }

        void Error(int column, string key, params object[] arguments)
        {
            errors.Add(text[key, [Address(column), .. arguments]]);
            Failed = true;
        }

        string Address(int column) => ColumnName(column) + row.Number.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A number ≥ 0 as people type it or Excel stores it: digits, optionally grouped by commas in threes
    /// (so "1,5" is refused rather than read as 15), optional decimals, and the exponent Excel writes
    /// for very small or large numbers. Null when it is anything else, a sign included.
    /// </summary>
    static decimal? ParseNumber(string value)
    {
        if (!NumberPattern().IsMatch(value)
            || !decimal.TryParse(value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowThousands | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }
        // Some Excel versions store a typed 1.1 as 1.1000000000000001 (17 digits of a double); the 15
        // digits Excel shows are what the person typed.
        if (SignificantDigits(value) > 15 && double.TryParse(value, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var d))
        {
            number = decimal.Parse(d.ToString("G15", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return number;
    }

    static int SignificantDigits(string value)
    {
        var mantissa = value.Split('E', 'e')[0].Replace(",", "").Replace(".", "").TrimStart('0');
        return mantissa.Length;
    }

    [GeneratedRegex(@"^(\d+|\d{1,3}(,\d{3})+)(\.\d+)?([Ee][+-]?\d+)?$")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"[\s、；]+")]
    private static partial Regex LinkSeparators();

    // The columns each table must have, by the start of the header's text: people retype headers with
    // other brackets or spacing, but a moved column would put numbers under the wrong heading.
    static readonly (int Column, string Header)[] ActivityColumns =
        [(2, "参与志愿者人次"), (3, "参与志愿服务组织数量"), (4, "覆盖人群"), (6, "累计志愿服务时数"), (7, "投入资金及物料")];

    static readonly (int Column, string Header)[] MediaColumns =
        [(2, "纸媒报道数"), (3, "网站报道数"), (4, "网页或微信链接"), (5, "网页或微信阅读数")];

    static string? WrongColumn(SpreadsheetRow header, (int Column, string Header)[] columns, IStringLocalizer text)
    {
        foreach (var (column, expected) in columns)
        {
            if (!Compact(Cell(header, column)).StartsWith(expected, StringComparison.Ordinal))
            {
                return text["Form.Error.Column", ColumnName(column) + header.Number.ToString(CultureInfo.InvariantCulture), expected];
            }
        }
        return null;
    }

    /// <summary>序号 in A and 活动名称… in B: the first row of either table's header.</summary>
    static bool IsHeader(SpreadsheetRow row) =>
        Compact(Cell(row, 0)) == OfficialForm.NumberHeader && Compact(Cell(row, 1)).StartsWith("活动名称", StringComparison.Ordinal);

    /// <summary>Table 1's second header row (类型 | 服务人次 under 覆盖人群).</summary>
    static bool IsSubHeader(SpreadsheetRow row) =>
        Cell(row, 1).Length == 0 && (Cell(row, 4) == OfficialForm.PopulationTypeHeader || Cell(row, 5) == OfficialForm.PopulationPersonTimesHeader);

    /// <summary>The lines under the tables: 联系人, 联系电话, 备注.</summary>
    static bool IsFooter(string first) =>
        first.StartsWith("联系人", StringComparison.Ordinal) || first.StartsWith("联系电话", StringComparison.Ordinal) || first.StartsWith("备注", StringComparison.Ordinal);

    /// <summary>Whether anything is filled in after 序号: the blank form comes with numbered empty rows.</summary>
    static bool HasData(SpreadsheetRow row, int lastColumn)
    {
        for (var c = 1; c <= lastColumn && c < row.Cells.Length; c++)
        {
            if (!string.IsNullOrWhiteSpace(row.Cells[c]))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>0 → "A", 25 → "Z", 26 → "AA": the reader gives at most 64 columns.</summary>
    static string ColumnName(int index) =>
        index < 26 ? ((char)('A' + index)).ToString() : string.Concat((char)('A' + index / 26 - 1), (char)('A' + index % 26));

    static string Cell(SpreadsheetRow row, int column) => column < row.Cells.Length ? row.Cells[column].Trim() : "";

    static string Compact(string value) => string.Concat(value.Where(c => !char.IsWhiteSpace(c)));
}
