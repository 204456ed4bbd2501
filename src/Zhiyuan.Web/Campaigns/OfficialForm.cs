using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Xml;

namespace Zhiyuan.Web.Campaigns;

/// <summary>
/// Writes a <see cref="ReportTable"/> as the notice's attachment, an .xlsx laid out cell for cell like
/// the official form, so a unit can print it, seal it and send it on. The SpreadsheetML is written by
/// hand as a stream: no package to trust, no document held in memory, and the same table always gives
/// the same bytes (packages are identified by a hash of their content).
/// </summary>
public static class OfficialForm
{
    public const string SheetName = "统计表";
    public const string UnitLabel = "填报单位（盖章）：";
    public const string PeriodLabel = "统计时段：";
    public const string NumberHeader = "序号";
    public const string NameHeader = "活动名称（含主办单位）";
    public const string PersonTimesHeader = "参与志愿者人次";
    public const string OrganizationsHeader = "参与志愿服务组织数量";
    public const string PopulationHeader = "覆盖人群";
    public const string PopulationTypeHeader = "类型";
    public const string PopulationPersonTimesHeader = "服务人次";
    public const string HoursHeader = "累计志愿服务时数";
    public const string MoneyHeader = "投入资金及物料（元）";
    public const string TotalLabel = "合计";
    public const string MediaSection = "媒体宣传情况";
    public const string PrintReportsHeader = "纸媒报道数（条）";
    public const string WebsiteReportsHeader = "网站报道数（条）";
    public const string LinksHeader = "网页或微信链接";
    public const string ReadsHeader = "网页或微信阅读数（条/次）";
    public const string ContactLabel = "联系人：";
    public const string PhoneLabel = "联系电话：";

    /// <summary>Added to the name of a row the unit typed in, so it stays told apart on paper too.</summary>
    public const string TypedInSuffix = "（填报录入）";

    /// <summary>Added to the name of an activity recorded after it happened (补录), approved by the unit above; its rows are shaded in their own colour.</summary>
    public const string BackEntrySuffix = "（补录）";

    /// <summary>The notice's own note under the form, verbatim.</summary>
    public const string Note =
        "备注：1、“覆盖人群”栏中“类型”项请选择填写残疾人、异地务工人员子女、空巢老人、闲散青少年、不良行为青少年、农村留守儿童、流浪乞讨未成年人、服刑在教人员未成年子女等，其他类别的请在表中另行说明；" +
        "2、各县（市、区）、大中专院校团委、市直团委负责汇总统计本地、本单位学雷锋全民志愿服务行动月活动开展情况，志愿者人次、组织数量、服务时数等以“i志愿”系统数据为准，" +
        "书面总结材料于4月3日前以电子邮件和纸质形式报市志愿者联合会秘书处，总结材料须含新闻宣传链接、截图以及先进典型事迹素材等。";

    /// <summary>The first row of table 1's data: title, unit, period and the two header rows come before it.</summary>
    public const int FirstActivityRow = 6;

    const string MainNs = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const string RelationshipNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    const int MaxCellText = 32_767; // Excel refuses to open a file with a longer cell.

    // A fixed time for every zip entry: the same table must give the same bytes.
    static readonly DateTimeOffset EntryTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Writes the form. Writes synchronously: in a request, write to a buffer (a MemoryStream or a
    /// file) and send that, since the response body does not take synchronous writes.
    /// </summary>
    public static void Write(ReportTable table, Stream output)
    {
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        WriteEntry(zip, "[Content_Types].xml", """<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>""");
        WriteEntry(zip, "_rels/.rels", """<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>""");
        WriteEntry(zip, "xl/workbook.xml", $"""<workbook xmlns="{MainNs}" xmlns:r="{RelationshipNs}"><bookViews><workbookView/></bookViews><sheets><sheet name="{SheetName}" sheetId="1" r:id="rId1"/></sheets></workbook>""");
        WriteEntry(zip, "xl/_rels/workbook.xml.rels", """<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>""");
        WriteEntry(zip, "xl/styles.xml", StylesXml());

        var entry = zip.CreateEntry("xl/worksheets/sheet1.xml", CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        using var stream = entry.Open();
        using var xml = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), CloseOutput = false, NewLineHandling = NewLineHandling.Entitize });
        new Sheet(xml).Write(table);
    }

    // Parts are written without line breaks, so a checkout with other line endings gives the same bytes.
    const string Declaration = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>""";

    /// <summary>Where a row came from: the platform's records, typed in by the unit, or back-entered and approved.</summary>
    enum RowKind { Computed, TypedIn, BackEntry }

    static Style Pick(RowKind kind, Style computed, Style typedIn, Style backEntry) => kind switch
    {
        RowKind.TypedIn => typedIn,
        RowKind.BackEntry => backEntry,
        _ => computed,
    };

    static string Named(string name, RowKind kind) => kind switch
    {
        RowKind.TypedIn => name + TypedInSuffix,
        RowKind.BackEntry => name + BackEntrySuffix,
        _ => name,
    };

    static void WriteEntry(ZipArchive zip, string name, string content)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        using var stream = entry.Open();
        stream.Write(Encoding.UTF8.GetBytes(Declaration + content));
    }

    /// <summary>The cell formats, by their index in styles.xml's cellXfs (see <see cref="Formats"/>).</summary>
    enum Style
    {
        Default, Title, Label, Header, Text, Integer, Hours, Money, Serial,
        TypedText, TypedInteger, TypedHours, TypedMoney, TypedSerial,
        TotalLabel, TotalText, TotalInteger, TotalHours, TotalMoney, Section, Note,
        BackText, BackInteger, BackHours, BackMoney, BackSerial,
    }

    // numFmtId: 0 General, 1 "0", 2 "0.00", 4 "#,##0.00" (built in, so no numFmts part is needed).
    // fontId: 0 normal, 1 bold, 2 title. fillId 2: the typed-in rows' colour, 3: the back-entered rows'. borderId 1: thin all round.
    static readonly (Style Style, int NumFmt, int Font, int Fill, int Border, string Horizontal, bool Wrap)[] Formats =
    [
        (Style.Default, 0, 0, 0, 0, "general", false),
        (Style.Title, 0, 2, 0, 0, "center", false),
        (Style.Label, 0, 0, 0, 0, "left", false),
        (Style.Header, 0, 1, 0, 1, "center", true),
        (Style.Text, 0, 0, 0, 1, "left", true),
        (Style.Integer, 1, 0, 0, 1, "right", false),
        (Style.Hours, 2, 0, 0, 1, "right", false),
        (Style.Money, 4, 0, 0, 1, "right", false),
        (Style.Serial, 1, 0, 0, 1, "center", false),
        (Style.TypedText, 0, 0, 2, 1, "left", true),
        (Style.TypedInteger, 1, 0, 2, 1, "right", false),
        (Style.TypedHours, 2, 0, 2, 1, "right", false),
        (Style.TypedMoney, 4, 0, 2, 1, "right", false),
        (Style.TypedSerial, 1, 0, 2, 1, "center", false),
        (Style.TotalLabel, 0, 1, 0, 1, "center", false),
        (Style.TotalText, 0, 1, 0, 1, "left", true),
        (Style.TotalInteger, 1, 1, 0, 1, "right", false),
        (Style.TotalHours, 2, 1, 0, 1, "right", false),
        (Style.TotalMoney, 4, 1, 0, 1, "right", false),
        (Style.Section, 0, 1, 0, 1, "left", false),
        (Style.Note, 0, 0, 0, 0, "left", true),
        (Style.BackText, 0, 0, 3, 1, "left", true),
        (Style.BackInteger, 1, 0, 3, 1, "right", false),
        (Style.BackHours, 2, 0, 3, 1, "right", false),
        (Style.BackMoney, 4, 0, 3, 1, "right", false),
        (Style.BackSerial, 1, 0, 3, 1, "center", false),
    ];

    static string StylesXml()
    {
        var xfs = new StringBuilder();
        for (var i = 0; i < Formats.Length; i++)
        {
            var f = Formats[i];
            if ((int)f.Style != i)
            {
                throw new InvalidOperationException("Formats must list the styles in the order of the Style enum.");
            }
            var vertical = f.Style == Style.Note ? "top" : "center";
            xfs.Append(CultureInfo.InvariantCulture,
                $"""<xf numFmtId="{f.NumFmt}" fontId="{f.Font}" fillId="{f.Fill}" borderId="{f.Border}" xfId="0" applyNumberFormat="1" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"><alignment horizontal="{f.Horizontal}" vertical="{vertical}"{(f.Wrap ? " wrapText=\"1\"" : "")}/></xf>""");
        }
        const string font = """<name val="宋体"/><family val="3"/><charset val="134"/>""";
        const string thin = """<left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/>""";
        return $"""<styleSheet xmlns="{MainNs}"><fonts count="3"><font><sz val="11"/>{font}</font><font><b/><sz val="11"/>{font}</font><font><b/><sz val="16"/>{font}</font></fonts><fills count="4"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFFFF2CC"/><bgColor indexed="64"/></patternFill></fill><fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills><borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border>{thin}</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="{Formats.Length}">{xfs}</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>""";
    }

    /// <summary>Hours as the form's number: minutes / 60, rounded to two decimals.</summary>
    public static decimal Hours(long minutes) => Math.Round(minutes / 60m, 2, MidpointRounding.AwayFromZero);

    /// <summary>Writes sheet1.xml row by row; the merges, known only at the end, follow the rows as the format wants.</summary>
    sealed class Sheet(XmlWriter xml)
    {
        static readonly string[] Columns = ["A", "B", "C", "D", "E", "F", "G", "H"];
        static readonly double[] Widths = [8, 40, 14, 16, 32, 16, 14, 18];

        readonly List<string> merges = [];
        int row;

        public void Write(ReportTable table)
        {
            var lastRow = FirstActivityRow + table.Activities.Count + table.Media.Count + 7;
            xml.WriteStartDocument(standalone: true);
            xml.WriteStartElement("worksheet", MainNs);
            xml.WriteAttributeString("xmlns", "r", null, RelationshipNs);
            xml.WriteStartElement("sheetPr");
            Empty("pageSetUpPr", ("fitToPage", "1"));
            xml.WriteEndElement();
            Empty("dimension", ("ref", $"A1:H{lastRow}"));
            xml.WriteStartElement("sheetViews");
            Empty("sheetView", ("workbookViewId", "0"));
            xml.WriteEndElement();
            Empty("sheetFormatPr", ("defaultRowHeight", "15"));
            xml.WriteStartElement("cols");
            for (var i = 0; i < Widths.Length; i++)
            {
                var n = (i + 1).ToString(CultureInfo.InvariantCulture);
                Empty("col", ("min", n), ("max", n), ("width", Widths[i].ToString(CultureInfo.InvariantCulture)), ("customWidth", "1"));
            }
            xml.WriteEndElement();

            xml.WriteStartElement("sheetData");
            WriteHead(table);
            WriteActivities(table);
            WriteMedia(table);
            WriteFoot(table);
            xml.WriteEndElement();

            xml.WriteStartElement("mergeCells");
            xml.WriteAttributeString("count", merges.Count.ToString(CultureInfo.InvariantCulture));
            foreach (var range in merges)
            {
                Empty("mergeCell", ("ref", range));
            }
            xml.WriteEndElement();
            Empty("pageMargins", ("left", "0.5"), ("right", "0.5"), ("top", "0.6"), ("bottom", "0.6"), ("header", "0.3"), ("footer", "0.3"));
            // A4 landscape, as wide as the page: the form is printed and sealed.
            Empty("pageSetup", ("paperSize", "9"), ("orientation", "landscape"), ("fitToWidth", "1"), ("fitToHeight", "0"));
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        void WriteHead(ReportTable table)
        {
            StartRow(30);
            Text(0, table.Title, Style.Title);
            Merge(0, 7);
            EndRow();

            StartRow(22);
            Text(0, UnitLabel + table.UnitName, Style.Label);
            Merge(0, 7);
            EndRow();

            StartRow(22);
            Text(0, $"{PeriodLabel}{table.From:yyyy-MM-dd} 至 {table.To:yyyy-MM-dd}", Style.Label);
            Merge(0, 7);
            EndRow();

            StartRow(30);
            string[] first = [NumberHeader, NameHeader, PersonTimesHeader, OrganizationsHeader, PopulationHeader, "", HoursHeader, MoneyHeader];
            for (var c = 0; c < first.Length; c++)
            {
                Text(c, first[c], Style.Header);
            }
            foreach (var c in (int[])[0, 1, 2, 3, 6, 7])
            {
                merges.Add($"{Columns[c]}{row}:{Columns[c]}{row + 1}");
            }
            Merge(4, 5);
            EndRow();

            StartRow(22);
            string[] second = ["", "", "", "", PopulationTypeHeader, PopulationPersonTimesHeader, "", ""];
            for (var c = 0; c < second.Length; c++)
            {
                Text(c, second[c], Style.Header);
            }
            EndRow();
        }

        void WriteActivities(ReportTable table)
        {
            var serial = 0;
            foreach (var a in table.Activities)
            {
                var kind = a.IsTypedIn ? RowKind.TypedIn : a.IsBackEntry ? RowKind.BackEntry : RowKind.Computed;
                StartRow();
                Number(0, (++serial).ToString(CultureInfo.InvariantCulture), Pick(kind, Style.Serial, Style.TypedSerial, Style.BackSerial));
                Text(1, Named(a.Name, kind), Pick(kind, Style.Text, Style.TypedText, Style.BackText));
                Number(2, Integer(a.PersonTimes), Pick(kind, Style.Integer, Style.TypedInteger, Style.BackInteger));
                Number(3, Integer(a.Organizations), Pick(kind, Style.Integer, Style.TypedInteger, Style.BackInteger));
                Text(4, a.PopulationTypes, Pick(kind, Style.Text, Style.TypedText, Style.BackText));
                Number(5, Integer(a.PopulationPersonTimes), Pick(kind, Style.Integer, Style.TypedInteger, Style.BackInteger));
                Number(6, Decimal(Hours(a.Minutes)), Pick(kind, Style.Hours, Style.TypedHours, Style.BackHours));
                Number(7, Decimal(Math.Round(a.MoneyYuan, 2, MidpointRounding.AwayFromZero)), Pick(kind, Style.Money, Style.TypedMoney, Style.BackMoney));
                EndRow();
            }

            var total = table.ActivityTotal;
            StartRow();
            Text(0, TotalLabel, Style.TotalLabel);
            Text(1, "", Style.TotalText);
            Number(2, Integer(total.PersonTimes), Style.TotalInteger);
            Number(3, Integer(total.Organizations), Style.TotalInteger);
            Text(4, "", Style.TotalText);
            Number(5, Integer(total.PopulationPersonTimes), Style.TotalInteger);
            Number(6, Decimal(Hours(total.Minutes)), Style.TotalHours);
            Number(7, Decimal(Math.Round(total.MoneyYuan, 2, MidpointRounding.AwayFromZero)), Style.TotalMoney);
            EndRow();
        }

        void WriteMedia(ReportTable table)
        {
            StartRow(22);
            for (var c = 0; c < Columns.Length; c++)
            {
                Text(c, c == 0 ? MediaSection : "", Style.Section);
            }
            Merge(0, 7);
            EndRow();

            StartRow(30);
            string[] header = [NumberHeader, NameHeader, PrintReportsHeader, WebsiteReportsHeader, LinksHeader, ReadsHeader];
            for (var c = 0; c < header.Length; c++)
            {
                Text(c, header[c], Style.Header);
            }
            EndRow();

            var serial = 0;
            foreach (var m in table.Media)
            {
                var kind = m.IsTypedIn ? RowKind.TypedIn : m.IsBackEntry ? RowKind.BackEntry : RowKind.Computed;
                StartRow();
                Number(0, (++serial).ToString(CultureInfo.InvariantCulture), Pick(kind, Style.Serial, Style.TypedSerial, Style.BackSerial));
                Text(1, Named(m.Name, kind), Pick(kind, Style.Text, Style.TypedText, Style.BackText));
                Number(2, Integer(m.PrintReports), Pick(kind, Style.Integer, Style.TypedInteger, Style.BackInteger));
                Number(3, Integer(m.WebsiteReports), Pick(kind, Style.Integer, Style.TypedInteger, Style.BackInteger));
                Text(4, string.Join("\n", m.Links), Pick(kind, Style.Text, Style.TypedText, Style.BackText));
                Number(5, Integer(m.Reads), Pick(kind, Style.Integer, Style.TypedInteger, Style.BackInteger));
                EndRow();
            }

            var total = table.MediaTotal;
            StartRow();
            Text(0, TotalLabel, Style.TotalLabel);
            Text(1, "", Style.TotalText);
            Number(2, Integer(total.PrintReports), Style.TotalInteger);
            Number(3, Integer(total.WebsiteReports), Style.TotalInteger);
            Number(4, Integer(total.Links), Style.TotalInteger);
            Number(5, Integer(total.Reads), Style.TotalInteger);
            EndRow();
        }

        void WriteFoot(ReportTable table)
        {
            row++; // the blank row before the signature lines

            StartRow(22);
            Text(0, ContactLabel + table.ContactName, Style.Label);
            Merge(0, 7);
            EndRow();

            StartRow(22);
            Text(0, PhoneLabel + table.ContactPhone, Style.Label);
            Merge(0, 7);
            EndRow();

            // Tall enough for the note's four or so wrapped lines; Excel does not size merged cells itself.
            StartRow(80);
            Text(0, Note, Style.Note);
            Merge(0, 7);
            EndRow();
        }

        void StartRow(double? height = null)
        {
            row++;
            xml.WriteStartElement("row");
            xml.WriteAttributeString("r", row.ToString(CultureInfo.InvariantCulture));
            if (height is { } h)
            {
                xml.WriteAttributeString("ht", h.ToString(CultureInfo.InvariantCulture));
                xml.WriteAttributeString("customHeight", "1");
            }
        }

        void EndRow() => xml.WriteEndElement();

        void Merge(int from, int to) => merges.Add($"{Columns[from]}{row}:{Columns[to]}{row}");

        void Text(int column, string text, Style style)
        {
            StartCell(column, style);
            if (text.Length > 0)
            {
                xml.WriteAttributeString("t", "inlineStr");
                xml.WriteStartElement("is");
                xml.WriteStartElement("t");
                xml.WriteAttributeString("xml", "space", null, "preserve");
                xml.WriteString(Clean(text));
                xml.WriteEndElement();
                xml.WriteEndElement();
            }
            xml.WriteEndElement();
        }

        void Number(int column, string value, Style style)
        {
            StartCell(column, style);
            xml.WriteElementString("v", value);
            xml.WriteEndElement();
        }

        void StartCell(int column, Style style)
        {
            xml.WriteStartElement("c");
            xml.WriteAttributeString("r", Columns[column] + row.ToString(CultureInfo.InvariantCulture));
            if (style != Style.Default)
            {
                xml.WriteAttributeString("s", ((int)style).ToString(CultureInfo.InvariantCulture));
            }
        }

        void Empty(string name, params (string Name, string Value)[] attributes)
        {
            xml.WriteStartElement(name);
            foreach (var (attribute, value) in attributes)
            {
                xml.WriteAttributeString(attribute, value);
            }
            xml.WriteEndElement();
        }

        static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

        static string Decimal(decimal value) => value.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Text XML 1.0 can carry and Excel can hold: control characters other than tab and line breaks,
    /// U+FFFE/U+FFFF and lone surrogates are dropped (XmlWriter would throw on them), and the text is
    /// cut at Excel's cell limit.
    /// </summary>
    internal static string Clean(string text)
    {
        var clean = true;
        for (var i = 0; i < text.Length && clean; i++)
        {
            clean = IsValid(text, i);
        }
        var result = text;
        if (!clean)
        {
            var builder = new StringBuilder(text.Length);
            for (var i = 0; i < text.Length; i++)
            {
                if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    builder.Append(text, i, 2);
                    i++;
                }
                else if (IsValid(text, i))
                {
                    builder.Append(text[i]);
                }
            }
            result = builder.ToString();
        }
        if (result.Length > MaxCellText)
        {
            result = result[..(char.IsHighSurrogate(result[MaxCellText - 1]) ? MaxCellText - 1 : MaxCellText)];
        }
        return result;
    }

    /// <summary>Whether the character at i may stand in XML (a surrogate only as half of a pair).</summary>
    static bool IsValid(string text, int i)
    {
        var c = text[i];
        if (char.IsHighSurrogate(c))
        {
            return i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
        }
        if (char.IsLowSurrogate(c))
        {
            return i > 0 && char.IsHighSurrogate(text[i - 1]);
        }
        return c is '\t' or '\n' or '\r' || (c >= 0x20 && c != '\uFFFE' && c != '\uFFFF');
    }
}
