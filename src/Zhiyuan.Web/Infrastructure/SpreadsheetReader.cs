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
/// read as a stream, so a large file never sits in memory as a document; and what is kept while
/// reading is bounded whatever the file holds: at most <see cref="MaxColumns"/> cells of a row,
/// at most <see cref="MaxCellLength"/> characters of a cell, a bounded shared-strings table. An
/// attacker's .xlsx of 672 KB whose one row held 30 million empty cells once took 700 MB here.
/// </summary>
public static class SpreadsheetReader
{
    /// <summary>The longest cell any import takes: the official form's links cell (several long WeChat links).</summary>
    public const int MaxCellLength = 4000;

    /// <summary>Columns read from a row (A to BL); cells further right are skipped while streaming, never collected.</summary>
    public const int MaxColumns = 64;

    /// <summary>How far one sheet or shared-strings part may inflate, counted as it is read (the size a zip declares can lie).</summary>
    public const long MaxInflatedBytes = 400L * 1024 * 1024;

    /// <summary>
    /// Distinct strings kept from the shared-strings table: a 100,000-row import with ten text
    /// columns of distinct values fits; thirty million one-letter strings (240 MB of references) do not.
    /// </summary>
    public const int MaxSharedStrings = 1_000_000;

    /// <summary>Characters kept from the shared-strings table (32 MB), so long strings cannot add up to gigabytes either.</summary>
    public const long MaxSharedStringCharacters = 16_000_000;

    /// <summary>
    /// Spreadsheets read at once in the process. Each read is bounded (about 40 MB at worst, in its
    /// shared strings), but thirty at once would not be: two bound them all to under 100 MB.
    /// </summary>
    public const int MaxConcurrentReads = 2;

    /// <summary>How long an import waits for its turn before it is refused as busy (a hostile file takes a few seconds to refuse).</summary>
    public static readonly TimeSpan TurnWait = TimeSpan.FromSeconds(60);

    static readonly SemaphoreSlim Turns = new(MaxConcurrentReads, MaxConcurrentReads);

    /// <summary>
    /// A turn to read a spreadsheet, to dispose when the rows have been read; null when none came free
    /// in time, and the caller refuses the file with "Import.Error.Busy".
    /// </summary>
    public static async Task<IDisposable?> TakeTurnAsync(CancellationToken cancellationToken) =>
        await Turns.WaitAsync(TurnWait, cancellationToken) ? new Turn() : null;

    sealed class Turn : IDisposable
    {
        int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                Turns.Release();
            }
        }
    }

    /// <summary>The rows, read lazily; take a turn (<see cref="TakeTurnAsync"/>) around reading them.</summary>
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
            var sharedStrings = ReadSharedStrings(zip.GetEntry("xl/sharedStrings.xml"));
            using var stream = OpenLimited(sheet);
            using var xml = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, IgnoreWhitespace = false });
            var rowCount = 0;
            var rowNumber = 0;
            // One row's cells, by column; reused, since a row is copied out when it ends.
            var cells = new RowCells();
            var inRow = false;
            while (Read(xml))
            {
                if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "row")
                {
                    if (++rowCount > maxRows + 1)
                    {
                        throw new SpreadsheetException("Import.Error.TooManyRows", maxRows);
                    }
                    rowNumber = int.TryParse(xml.GetAttribute("r"), out var r) ? r : rowNumber + 1;
                    cells.Clear();
                    inRow = !xml.IsEmptyElement;
                    if (!inRow)
                    {
                        yield return cells.ToRow(rowNumber);
                    }
                }
                else if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "c" && inRow)
                {
                    // A cell without a reference follows the previous one, counted even when it was skipped.
                    var column = ColumnIndex(xml.GetAttribute("r")) ?? cells.LastColumn + 1;
                    cells.LastColumn = column;
                    if (column >= MaxColumns)
                    {
                        // Past the cap nothing is kept; its content, if any, is passed over by this loop.
                        continue;
                    }
                    var (value, formula, tooLong) = xml.IsEmptyElement ? ("", false, false) : ReadCell(xml, xml.GetAttribute("t"), sharedStrings);
                    cells.Set(column, value, formula, tooLong);
                }
                else if (xml.NodeType == XmlNodeType.EndElement && xml.LocalName == "row" && inRow)
                {
                    inRow = false;
                    yield return cells.ToRow(rowNumber);
                }
            }
        }
    }

    /// <summary>
    /// The cells of the row being read, at most <see cref="MaxColumns"/> of them in fixed arrays: a
    /// row of millions of cells (or of the same cell repeated) costs no more than a row of 64.
    /// </summary>
    sealed class RowCells
    {
        readonly string[] values = new string[MaxColumns];
        readonly bool[] formulas = new bool[MaxColumns];
        readonly bool[] tooLong = new bool[MaxColumns];
        int width;

        public int LastColumn { get; set; } = -1;

        public void Clear()
        {
            Array.Fill(values, "");
            Array.Clear(formulas);
            Array.Clear(tooLong);
            width = 0;
            LastColumn = -1;
        }

        public void Set(int column, string value, bool formula, bool isTooLong)
        {
            values[column] = value;
            formulas[column] = formula;
            tooLong[column] = isTooLong;
            width = Math.Max(width, column + 1);
        }

        public SpreadsheetRow ToRow(int number) => new(number, values[..width], formulas[..width], tooLong[..width]);
    }

    /// <summary>An entry's content, refused once more than <see cref="MaxInflatedBytes"/> come out of it.</summary>
    static Stream OpenLimited(ZipArchiveEntry entry)
    {
        // The declared size refuses an honest bomb at once; the counting stream catches one whose header lies.
        if (entry.Length > MaxInflatedBytes)
        {
            throw new SpreadsheetException("Import.Error.Inflates", MaxInflatedBytes / 1024 / 1024);
        }
        return new InflationLimit(entry.Open(), MaxInflatedBytes);
    }

    sealed class InflationLimit(Stream inner, long limit) : Stream
    {
        long read;

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        int Count(int bytes)
        {
            read += bytes;
            return read > limit ? throw new SpreadsheetException("Import.Error.Inflates", limit / 1024 / 1024) : bytes;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
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

    /// <summary>Reads one &lt;c&gt; element's value, whether it holds a formula and whether it was cut, leaving the reader on its end tag.</summary>
    static (string Value, bool Formula, bool TooLong) ReadCell(XmlReader xml, string? type, List<string> sharedStrings)
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
                AppendContentLimited(xml, value);
            }
        }
        var text = value.ToString();
        if (type == "s")
        {
            text = int.TryParse(text, out var index) && index >= 0 && index < sharedStrings.Count ? sharedStrings[index] : "";
        }
        text = text.Trim();
        return text.Length > MaxCellLength ? (text[..MaxCellLength], formula, true) : (text, formula, false);
    }

    /// <summary>
    /// Appends the text of the element the reader is on, keeping at most one character past
    /// <see cref="MaxCellLength"/> (enough to tell the cell is too long), and leaves the reader on its
    /// end tag. The text is read in chunks: a single cell of 400 MB never becomes one string.
    /// </summary>
    static void AppendContentLimited(XmlReader xml, StringBuilder builder)
    {
        var depth = xml.Depth;
        var chunk = new char[4096];
        while (Read(xml) && xml.Depth > depth)
        {
            if (xml.NodeType is not (XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace))
            {
                continue;
            }
            if (!xml.CanReadValueChunk)
            {
                Append(builder, xml.Value.AsSpan());
                continue;
            }
            int count;
            while ((count = ReadChunk(xml, chunk)) > 0)
            {
                Append(builder, chunk.AsSpan(0, count));
            }
        }

        static void Append(StringBuilder builder, ReadOnlySpan<char> text) =>
            builder.Append(text[..Math.Min(text.Length, Math.Max(0, MaxCellLength + 1 - builder.Length))]);
    }

    static int ReadChunk(XmlReader xml, char[] chunk)
    {
        try
        {
            return xml.ReadValueChunk(chunk, 0, chunk.Length);
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

    /// <summary>The shared-strings table, each string cut one past the cell limit, refused past its count or character budget.</summary>
    static List<string> ReadSharedStrings(ZipArchiveEntry? entry)
    {
        var strings = new List<string>();
        if (entry is null)
        {
            return strings;
        }
        using var stream = OpenLimited(entry);
        using var xml = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        var current = new StringBuilder();
        var inString = false;
        long characters = 0;
        void Add(string value)
        {
            characters += value.Length;
            if (strings.Count >= MaxSharedStrings || characters > MaxSharedStringCharacters)
            {
                throw new SpreadsheetException("Import.Error.TooMuchText", MaxSharedStrings, MaxSharedStringCharacters);
            }
            strings.Add(value);
        }
        while (Read(xml))
        {
            if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "si")
            {
                current.Clear();
                inString = !xml.IsEmptyElement;
                if (!inString)
                {
                    Add("");
                }
            }
            else if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "t" && inString && !xml.IsEmptyElement)
            {
                AppendContentLimited(xml, current);
            }
            else if (xml.NodeType == XmlNodeType.EndElement && xml.LocalName == "si" && inString)
            {
                Add(current.ToString());
                inString = false;
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
