using System.IO.Compression;
using System.Text;
using System.Xml;
using Sylvan.Data.Csv;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>One row of a spreadsheet: its 1-based number as Excel shows it, and its cells as text.</summary>
public sealed record SpreadsheetRow(int Number, string[] Cells, bool[] IsFormula, bool[] IsTooLong)
{
    public bool IsEmpty => Cells.All(string.IsNullOrWhiteSpace);
}

/// <summary>Why a whole file was refused before any row was looked at.</summary>
public sealed class SpreadsheetException(string reasonKey, params object[] arguments) : Exception(reasonKey)
{
    public string ReasonKey { get; } = reasonKey;

    public object[] Arguments { get; } = arguments;
}

/// <summary>
/// Reads the first sheet of an .xlsx file, or a .csv file, row by row, without trusting it: a file
/// that is not what its name says, a row count over the limit (a million empty rows included), a
/// sheet that inflates beyond reason, over-long cells and formulas are all caught here. The XML is
/// read as a stream, so a large file never sits in memory as a document.
/// </summary>
public static class SpreadsheetReader
{
    /// <summary>The longest cell any import takes: the official form's links cell (several long WeChat links).</summary>
    public const int MaxCellLength = 4000;
    const long MaxInflatedBytes = 400L * 1024 * 1024;

    public static IEnumerable<SpreadsheetRow> Read(Stream file, string fileName, int maxRows)
    {
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        return extension switch
        {
            ".xlsx" => ReadXlsx(file, maxRows),
            ".csv" => ReadCsv(file, maxRows),
            _ => throw new SpreadsheetException("Import.Error.FileType"),
        };
    }

    static IEnumerable<SpreadsheetRow> ReadXlsx(Stream file, int maxRows)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException)
        {
            throw new SpreadsheetException("Import.Error.NotXlsx");
        }
        using (zip)
        {
            var sheet = zip.GetEntry("xl/worksheets/sheet1.xml")
                        ?? zip.Entries.Where(e => e.FullName.StartsWith("xl/worksheets/sheet", StringComparison.Ordinal)).MinBy(e => e.FullName)
                        ?? throw new SpreadsheetException("Import.Error.NotXlsx");
            if (sheet.Length > MaxInflatedBytes)
            {
                throw new SpreadsheetException("Import.Error.TooLarge");
            }
            var sharedStrings = ReadSharedStrings(zip.GetEntry("xl/sharedStrings.xml"));
            using var stream = sheet.Open();
            using var xml = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, IgnoreWhitespace = false });
            var rowCount = 0;
            var rowNumber = 0;
            List<(int Column, string Value, bool Formula, bool TooLong)>? cells = null;
            while (Read(xml))
            {
                if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "row")
                {
                    if (++rowCount > maxRows + 1)
                    {
                        throw new SpreadsheetException("Import.Error.TooManyRows", maxRows);
                    }
                    rowNumber = int.TryParse(xml.GetAttribute("r"), out var r) ? r : rowNumber + 1;
                    cells = [];
                    if (xml.IsEmptyElement)
                    {
                        yield return ToRow(rowNumber, cells);
                        cells = null;
                    }
                }
                else if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "c" && cells is not null)
                {
                    var column = ColumnIndex(xml.GetAttribute("r")) ?? (cells.Count == 0 ? 0 : cells[^1].Column + 1);
                    var type = xml.GetAttribute("t");
                    var (value, formula) = xml.IsEmptyElement ? ("", false) : ReadCell(xml, type, sharedStrings);
                    cells.Add((column, value.Length > MaxCellLength ? value[..MaxCellLength] : value, formula, value.Length > MaxCellLength));
                }
                else if (xml.NodeType == XmlNodeType.EndElement && xml.LocalName == "row" && cells is not null)
                {
                    yield return ToRow(rowNumber, cells);
                    cells = null;
                }
            }
        }
    }

    static bool Read(XmlReader xml)
    {
        try
        {
            return xml.Read();
        }
        catch (XmlException)
        {
            throw new SpreadsheetException("Import.Error.NotXlsx");
        }
        catch (InvalidDataException)
        {
            throw new SpreadsheetException("Import.Error.NotXlsx");
        }
    }

    static SpreadsheetRow ToRow(int number, List<(int Column, string Value, bool Formula, bool TooLong)> cells)
    {
        var width = cells.Count == 0 ? 0 : Math.Min(cells.Max(c => c.Column) + 1, 64);
        var values = new string[width];
        var formulas = new bool[width];
        var tooLong = new bool[width];
        Array.Fill(values, "");
        foreach (var cell in cells.Where(c => c.Column < width))
        {
            values[cell.Column] = cell.Value;
            formulas[cell.Column] = cell.Formula;
            tooLong[cell.Column] = cell.TooLong;
        }
        return new SpreadsheetRow(number, values, formulas, tooLong);
    }

    /// <summary>Reads one &lt;c&gt; element's value and whether it holds a formula, leaving the reader on its end tag.</summary>
    static (string Value, bool Formula) ReadCell(XmlReader xml, string? type, List<string> sharedStrings)
    {
        var depth = xml.Depth;
        var formula = false;
        var value = new StringBuilder();
        while (Read(xml) && !(xml.NodeType == XmlNodeType.EndElement && xml.Depth == depth))
        {
            if (xml.NodeType != XmlNodeType.Element)
            {
                continue;
            }
            if (xml.LocalName == "f")
            {
                formula = true;
            }
            else if (xml.LocalName is "v" or "t" && !xml.IsEmptyElement)
            {
                AppendLimited(value, xml.ReadElementContentAsString());
                if (xml.NodeType == XmlNodeType.EndElement && xml.Depth == depth)
                {
                    break;
                }
            }
        }
        var text = value.ToString();
        if (type == "s")
        {
            text = int.TryParse(text, out var index) && index >= 0 && index < sharedStrings.Count ? sharedStrings[index] : "";
        }
        return (text.Trim(), formula);
    }

    static void AppendLimited(StringBuilder builder, string text) =>
        builder.Append(text.AsSpan(0, Math.Min(text.Length, MaxCellLength + 1 - Math.Min(builder.Length, MaxCellLength + 1))));

    static List<string> ReadSharedStrings(ZipArchiveEntry? entry)
    {
        var strings = new List<string>();
        if (entry is null)
        {
            return strings;
        }
        if (entry.Length > MaxInflatedBytes)
        {
            throw new SpreadsheetException("Import.Error.TooLarge");
        }
        using var stream = entry.Open();
        using var xml = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        StringBuilder? current = null;
        while (Read(xml))
        {
            if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "si")
            {
                current = new StringBuilder();
                if (xml.IsEmptyElement)
                {
                    strings.Add("");
                    current = null;
                }
            }
            else if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "t" && current is not null && !xml.IsEmptyElement)
            {
                AppendLimited(current, xml.ReadElementContentAsString());
            }
            else if (xml.NodeType == XmlNodeType.EndElement && xml.LocalName == "si" && current is not null)
            {
                strings.Add(current.ToString());
                current = null;
            }
        }
        return strings;
    }

    /// <summary>"C12" → 2.</summary>
    static int? ColumnIndex(string? reference)
    {
        if (string.IsNullOrEmpty(reference))
        {
            return null;
        }
        var index = 0;
        var letters = 0;
        foreach (var c in reference)
        {
            if (c is >= 'A' and <= 'Z')
            {
                index = index * 26 + (c - 'A' + 1);
                letters++;
            }
            else
            {
                break;
            }
        }
        return letters is 0 or > 3 ? null : index - 1;
    }

    static IEnumerable<SpreadsheetRow> ReadCsv(Stream file, int maxRows)
    {
        using var text = new StreamReader(file, DetectEncoding(file), detectEncodingFromByteOrderMarks: true);
        using var csv = CsvDataReader.Create(text, new CsvDataReaderOptions { HasHeaders = false, MaxBufferSize = 1 << 20 });
        var number = 0;
        while (ReadCsvRow(csv))
        {
            if (++number > maxRows + 1)
            {
                throw new SpreadsheetException("Import.Error.TooManyRows", maxRows);
            }
            var width = Math.Min(csv.RowFieldCount, 64);
            var values = new string[width];
            var formulas = new bool[width];
            var tooLong = new bool[width];
            for (var i = 0; i < width; i++)
            {
                var value = csv.GetString(i).Trim();
                tooLong[i] = value.Length > MaxCellLength;
                values[i] = tooLong[i] ? value[..MaxCellLength] : value;
                // What Excel would run as a formula when the file is opened again.
                formulas[i] = value.Length > 1 && value[0] is '=' or '+' or '@' || (value.Length > 1 && value[0] == '-' && !char.IsAsciiDigit(value[1]));
            }
            yield return new SpreadsheetRow(number, values, formulas, tooLong);
        }
    }

    static bool ReadCsvRow(CsvDataReader csv)
    {
        try
        {
            return csv.Read();
        }
        catch (CsvRecordTooLargeException)
        {
            throw new SpreadsheetException("Import.Error.CellTooLarge");
        }
    }

    /// <summary>UTF-8 when the bytes are valid UTF-8; otherwise GB18030, which is what Excel on a Chinese Windows saves.</summary>
    static Encoding DetectEncoding(Stream file)
    {
        var start = file.Position;
        var buffer = new byte[64 * 1024];
        var read = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        file.Position = start;
        if (buffer.AsSpan(0, read).IndexOf((byte)0) >= 0)
        {
            throw new SpreadsheetException("Import.Error.NotCsv");
        }
        try
        {
            // flush: false, so a character cut at the buffer's end is not taken for an encoding error.
            new UTF8Encoding(false, throwOnInvalidBytes: true).GetDecoder().GetCharCount(buffer, 0, read, flush: false);
            return new UTF8Encoding(false);
        }
        catch (DecoderFallbackException)
        {
            Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
            return Encoding.GetEncoding("GB18030");
        }
    }
}
