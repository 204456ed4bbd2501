using System.Globalization;
using System.Text;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.BackEntries;

/// <summary>
/// One line of a roster as people write it — in a spreadsheet or in the form's text box: who, on
/// which day, from when to when (or how many hours). <see cref="Row"/> is where they find it again.
/// </summary>
public sealed record RosterLine(int Row, string Volunteer, string Date, string Start, string End, string Hours);

/// <summary>A session of the back-entry as the roster refers to it: by its position, its China date and its window.</summary>
public sealed record RosterSession(int Index, DateTime StartsAtUtc, DateTime EndsAtUtc);

/// <summary>
/// Reads rosters (志愿者编号或手机号, 时段日期, 开始, 结束, 时长) from an .xlsx/.csv file through
/// <see cref="SpreadsheetReader"/> and its bounds, or from the lines of a text box, and turns each line
/// into an attendance of one of the back-entry's sessions. Dates and times are China time; Excel's
/// day numbers and day fractions are understood.
/// </summary>
public static class BackEntryRoster
{
    public const int MaxRows = 5_000;
    public const long MaxFileBytes = 5 * 1024 * 1024;

    /// <summary>The columns by the names people use; the first is what the template has. Other columns (姓名 …) are ignored.</summary>
    public static readonly (string Field, string[] Headers, bool Required)[] Columns =
    [
        ("volunteer", ["志愿者编号或手机号", "志愿者编号", "手机号", "手机号码", "编号", "Volunteer"], true),
        ("date", ["时段日期", "日期", "服务日期", "Date"], true),
        ("start", ["开始", "开始时间", "签到", "签到时间", "Start"], false),
        ("end", ["结束", "结束时间", "签退", "签退时间", "End"], false),
        ("hours", ["时长（小时）", "时长(小时)", "时长", "小时", "Hours"], false),
    ];

    /// <summary>The header row of the template offered for download.</summary>
    public static string TemplateCsv => "\uFEFF" + string.Join(",", Columns.Select(c => c.Headers[0])) + "\r\n";

    /// <summary>The column a field's error is shown under.</summary>
    public static string HeaderOf(string field) => field switch
    {
        "volunteer" => Columns[0].Headers[0],
        "session" or "date" => Columns[1].Headers[0],
        "start" or "checkedInAt" => Columns[2].Headers[0],
        "end" or "checkedOutAt" => Columns[3].Headers[0],
        "hours" => Columns[4].Headers[0],
        _ => "",
    };

    /// <summary>
    /// The roster's lines, with the cells that cannot be taken as they are (formulas, over-long text)
    /// reported by row. Throws <see cref="SpreadsheetException"/> for a file refused as a whole.
    /// </summary>
    public static List<RosterLine> Read(IEnumerable<SpreadsheetRow> sheet, Action<int, string, string> rowError, Func<string, object[], string> text)
    {
        using var rows = sheet.GetEnumerator();
        SpreadsheetRow? header = null;
        while (rows.MoveNext())
        {
            if (!rows.Current.IsEmpty)
            {
                header = rows.Current;
                break;
            }
        }
        if (header is null)
        {
            throw new SpreadsheetException("BackEntries.Error.NoRows");
        }
        var positions = new Dictionary<string, int>();
        for (var i = 0; i < header.Cells.Length; i++)
        {
            var name = header.Cells[i].Trim();
            var column = Columns.FirstOrDefault(c => c.Headers.Contains(name, StringComparer.OrdinalIgnoreCase));
            if (column.Field is not null && !positions.TryAdd(column.Field, i))
            {
                throw new SpreadsheetException("Import.Error.RepeatedColumn", name);
            }
        }
        var missing = Columns.Where(c => c.Required && !positions.ContainsKey(c.Field)).Select(c => c.Headers[0]).ToList();
        if (missing.Count > 0)
        {
            throw new SpreadsheetException("Import.Error.MissingColumns", string.Join("、", missing));
        }
        var lines = new List<RosterLine>();
        while (rows.MoveNext())
        {
            var row = rows.Current;
            if (row.IsEmpty)
            {
                continue;
            }
            var usable = true;
            foreach (var (field, position) in positions)
            {
                if (position < row.Cells.Length && row.IsFormula[position])
                {
                    rowError(row.Number, HeaderOf(field), text("Import.Error.Formula", []));
                    usable = false;
                }
                else if (position < row.Cells.Length && row.IsTooLong[position])
                {
                    rowError(row.Number, HeaderOf(field), text("Import.Error.CellTooLong", [SpreadsheetReader.MaxCellLength]));
                    usable = false;
                }
            }
            string Cell(string field) => positions.TryGetValue(field, out var i) && i < row.Cells.Length ? row.Cells[i].Trim() : "";
            if (usable)
            {
                lines.Add(new RosterLine(row.Number, Cell("volunteer"), Cell("date"), Cell("start"), Cell("end"), Cell("hours")));
            }
        }
        return lines;
    }

    /// <summary>
    /// The form's text box: one attendance per line, the columns in the template's order, separated by
    /// commas or tabs (empty columns kept), or by spaces (then: who and date; who, date and hours; or
    /// who, date, start and end).
    /// </summary>
    public static List<RosterLine> FromText(string? text)
    {
        var lines = new List<RosterLine>();
        var number = 0;
        foreach (var raw in (text ?? "").Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }
            string[] parts;
            if (line.IndexOfAny([',', '，', '\t', ';', '；']) >= 0)
            {
                parts = line.Split([',', '，', '\t', ';', '；']).Select(p => p.Trim()).ToArray();
            }
            else
            {
                var words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                parts = words.Length == 3 ? [words[0], words[1], "", "", words[2]] : words;
            }
            string Part(int i) => i < parts.Length ? parts[i] : "";
            lines.Add(new RosterLine(number, Part(0), Part(1), Part(2), Part(3), Part(4)));
        }
        return lines;
    }

    /// <summary>The lines as the text box shows them again.</summary>
    public static string ToText(IEnumerable<RosterLine> lines)
    {
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(string.Join(", ", new[] { line.Volunteer, line.Date, line.Start, line.End, line.Hours }).TrimEnd(',', ' ')).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// The attendance a line describes: its session found by the date (and, when the date has several
    /// sessions, by the start time), its times on that date (an end before the start is the next day).
    /// Null, with the reasons reported by column, when the line cannot be read.
    /// </summary>
    public static BackEntryAttendanceRequest? ToRequest(RosterLine line, IReadOnlyList<RosterSession> sessions, Action<string, string> error,
        Func<string, object[], string> text)
    {
        var failed = false;
        var date = ParseDate(line.Date);
        if (line.Date.Length == 0)
        {
            error("date", text("Validation.Required", [HeaderOf("date")]));
            failed = true;
        }
        else if (date is null)
        {
            error("date", text("BackEntries.Error.RosterDate", [Shorten(line.Date)]));
            failed = true;
        }
        TimeOnly? start = null, end = null;
        if (line.Start.Length > 0 && (start = ParseTime(line.Start)) is null)
        {
            error("start", text("BackEntries.Error.RosterTime", [Shorten(line.Start)]));
            failed = true;
        }
        if (line.End.Length > 0 && (end = ParseTime(line.End)) is null)
        {
            error("end", text("BackEntries.Error.RosterTime", [Shorten(line.End)]));
            failed = true;
        }
        decimal? hours = null;
        if (line.Hours.Length > 0)
        {
            if (decimal.TryParse(line.Hours.Replace("小时", "").Replace("h", "", StringComparison.OrdinalIgnoreCase).Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
                && value is > -100_000 and < 100_000)
            {
                hours = value;
            }
            else
            {
                error("hours", text("Validation.Number", [Shorten(line.Hours)]));
                failed = true;
            }
        }
        if (failed || date is not { } day)
        {
            return null;
        }
        var onDate = sessions.Where(s => DateOnly.FromDateTime(ChinaTime.ToChina(s.StartsAtUtc)) == day).ToList();
        if (onDate.Count == 0)
        {
            error("date", text("BackEntries.Error.RosterNoSession", [day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)]));
            return null;
        }
        DateTimeOffset? checkedIn = start is { } s1 ? At(day, s1) : null;
        DateTimeOffset? checkedOut = end is { } e1 ? At(day, e1) : null;
        if (checkedIn is { } i1 && checkedOut is { } o1 && o1 < i1)
        {
            checkedOut = o1.AddDays(1);
        }
        var session = onDate.Count == 1 ? onDate[0]
            : checkedIn is { } at ? onDate.FirstOrDefault(s => at.UtcDateTime >= s.StartsAtUtc && at.UtcDateTime < s.EndsAtUtc) : null;
        if (session is null)
        {
            error("start", text(checkedIn is null ? "BackEntries.Error.RosterWhichSession" : "BackEntries.Error.RosterStartOutside",
                [day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), string.Join("、", onDate.Select(Window))]));
            return null;
        }
        return new BackEntryAttendanceRequest(line.Volunteer, session.Index, checkedIn, checkedOut, hours);
    }

    public static string Window(RosterSession session) =>
        ChinaTime.ToChina(session.StartsAtUtc).ToString("HH:mm", CultureInfo.InvariantCulture) + "–" + ChinaTime.ToChina(session.EndsAtUtc).ToString("HH:mm", CultureInfo.InvariantCulture);

    static DateTimeOffset At(DateOnly day, TimeOnly time) => new(day.ToDateTime(time), ChinaTime.Offset);

    static string Shorten(string value) => value.Length > 30 ? value[..30] + "…" : value;

    static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyy-M-d", "yyyy/M/d", "yyyy.M.d", "yyyy年M月d日", "yyyyMMdd"];

    /// <summary>A China date as typed, or Excel's day number (1900 system; a time of day after the point is left out).</summary>
    public static DateOnly? ParseDate(string value)
    {
        value = value.Trim();
        // "2025-03-01 00:00:00", as some spreadsheets write a date cell.
        if (value.Length > 10 && value[10] == ' ')
        {
            value = value[..10];
        }
        if (DateOnly.TryParseExact(value, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return InputRules.InRange(day) ? day : null;
        }
        if (value.Length <= 12 && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var serial) && serial is >= 36526 and < 73051)
        {
            return new DateOnly(1899, 12, 30).AddDays((int)Math.Floor(serial));
        }
        return null;
    }

    /// <summary>A time of day as typed ("9:00", "09:00:00"), or Excel's fraction of a day (also the part after a day number's point).</summary>
    public static TimeOnly? ParseTime(string value)
    {
        value = value.Trim().Replace('：', ':');
        if (TimeOnly.TryParseExact(value, ["H:mm", "HH:mm", "H:mm:ss", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return new TimeOnly(time.Hour, time.Minute);
        }
        // A fraction of a day (a time cell), or a day number with one (a date-and-time cell); a bare "9" is neither.
        if (value.Length <= 24 && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number is (>= 0 and < 1) or (>= 36526 and < 73051))
        {
            var fraction = number - Math.Floor(number);
            var minutes = (int)Math.Round(fraction * 24 * 60, MidpointRounding.AwayFromZero);
            return minutes >= 24 * 60 ? null : new TimeOnly(minutes / 60, minutes % 60);
        }
        return null;
    }
}
