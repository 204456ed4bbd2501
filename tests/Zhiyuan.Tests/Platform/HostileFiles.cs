using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;

namespace Zhiyuan.Tests.Platform;

/// <summary>
/// Small files that are huge once read: the shapes an attacker sent. Each is streamed into its
/// compressor, so the test never holds the inflated content itself.
/// </summary>
public static class HostileFiles
{
    const string SheetStart = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>""";
    const string SheetEnd = "</sheetData></worksheet>";

    /// <summary>An .xlsx whose first sheet is one row of <paramref name="cells"/> empty &lt;c/&gt; cells.</summary>
    public static byte[] XlsxWithOneWideRow(int cells) => Xlsx(sheet =>
    {
        Write(sheet, SheetStart + """<row r="1">""");
        Repeat(sheet, "<c/>", cells);
        Write(sheet, "</row>" + SheetEnd);
    });

    /// <summary>An .xlsx whose shared-strings table holds <paramref name="count"/> strings of <paramref name="length"/> letters each.</summary>
    public static byte[] XlsxWithSharedStrings(int count, int length) => Xlsx(sheet =>
    {
        Write(sheet, SheetStart + """<row r="1"><c r="A1" t="s"><v>0</v></c></row>""" + SheetEnd);
    }, strings =>
    {
        Write(strings, $"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" uniqueCount="{count}">""");
        Repeat(strings, "<si><t>" + new string('字', length) + "</t></si>", count);
        Write(strings, "</sst>");
    });

    /// <summary>An .xlsx whose sheet inflates to more than <paramref name="megabytes"/> MB (of whitespace inside the sheet data).</summary>
    public static byte[] XlsxInflatingTo(int megabytes) => Xlsx(sheet =>
    {
        Write(sheet, SheetStart);
        Repeat(sheet, new string(' ', 1024), megabytes * 1024 + 1);
        Write(sheet, SheetEnd);
    });

    static byte[] Xlsx(Action<Stream> sheet, Action<Stream>? sharedStrings = null)
    {
        using var file = new MemoryStream();
        using (var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var types = zip.CreateEntry("[Content_Types].xml").Open())
            {
                Write(types, """<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>""");
            }
            using (var entry = zip.CreateEntry("xl/worksheets/sheet1.xml", CompressionLevel.SmallestSize).Open())
            {
                sheet(entry);
            }
            if (sharedStrings is not null)
            {
                using var entry = zip.CreateEntry("xl/sharedStrings.xml", CompressionLevel.SmallestSize).Open();
                sharedStrings(entry);
            }
        }
        return file.ToArray();
    }

    static void Write(Stream stream, string text) => stream.Write(Encoding.UTF8.GetBytes(text));

    /// <summary>Writes the text so many times in blocks of about 64 KB.</summary>
    static void Repeat(Stream stream, string text, int times)
    {
        var one = Encoding.UTF8.GetBytes(text);
        var perBlock = Math.Max(1, 65536 / one.Length);
        var block = new byte[one.Length * perBlock];
        for (var i = 0; i < perBlock; i++)
        {
            one.CopyTo(block, i * one.Length);
        }
        for (var written = 0; written < times; written += perBlock)
        {
            stream.Write(block, 0, one.Length * Math.Min(perBlock, times - written));
        }
    }

    /// <summary>A true-colour PNG of the given size, all black: IHDR, zlib-compressed zero rows, IEND (113 KB for 6,300 × 6,300).</summary>
    public static byte[] BlackPng(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bits per channel
        header[9] = 2; // RGB
        Chunk(png, "IHDR", header);
        using var pixels = new MemoryStream();
        using (var zlib = new ZLibStream(pixels, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            // Each row: filter type 0, then three zero bytes a pixel.
            var row = new byte[1 + 3 * width];
            for (var y = 0; y < height; y++)
            {
                zlib.Write(row);
            }
        }
        Chunk(png, "IDAT", pixels.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typeAndData);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        png.Write(crc);
    }

    static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }
        return ~crc;
    }
}

/// <summary>
/// The process's memory while something runs: the managed heap and the working set (which also
/// counts the native memory of decoded images), sampled every few milliseconds for their peaks.
/// </summary>
public sealed class MemoryWatch : IAsyncDisposable
{
    readonly CancellationTokenSource stop = new();
    readonly Task sampling;
    long peakWorkingSet;
    long peakManaged;

    MemoryWatch()
    {
        (BaselineWorkingSet, BaselineManaged) = Settled();
        peakWorkingSet = BaselineWorkingSet;
        peakManaged = BaselineManaged;
        sampling = Task.Run(async () =>
        {
            using var process = Process.GetCurrentProcess();
            while (!stop.IsCancellationRequested)
            {
                process.Refresh();
                peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
                peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false));
                await Task.Delay(5);
            }
        });
    }

    public static MemoryWatch Start() => new();

    public long BaselineWorkingSet { get; }

    public long BaselineManaged { get; }

    public long PeakWorkingSetGrowth => peakWorkingSet - BaselineWorkingSet;

    public long PeakManagedGrowth => peakManaged - BaselineManaged;

    public long SettledWorkingSetGrowth { get; private set; }

    public long SettledManagedGrowth { get; private set; }

    public async ValueTask DisposeAsync() => await StopAsync();

    public async Task StopAsync()
    {
        if (stop.IsCancellationRequested)
        {
            return;
        }
        await stop.CancelAsync();
        await sampling;
        var (workingSet, managed) = Settled();
        SettledWorkingSetGrowth = workingSet - BaselineWorkingSet;
        SettledManagedGrowth = managed - BaselineManaged;
    }

    public override string ToString() =>
        $"working set {Mb(BaselineWorkingSet)} MB at the start, peak +{Mb(PeakWorkingSetGrowth)} MB, after GC +{Mb(SettledWorkingSetGrowth)} MB; " +
        $"managed heap {Mb(BaselineManaged)} MB, peak +{Mb(PeakManagedGrowth)} MB, after GC +{Mb(SettledManagedGrowth)} MB";

    static long Mb(long bytes) => bytes / 1024 / 1024;

    static (long WorkingSet, long Managed) Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var managed = GC.GetTotalMemory(true);
        using var process = Process.GetCurrentProcess();
        return (process.WorkingSet64, managed);
    }
}
