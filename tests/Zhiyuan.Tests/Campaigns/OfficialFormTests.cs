using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web;
using Zhiyuan.Web.Campaigns;

namespace Zhiyuan.Tests.Campaigns;

/// <summary>The official form written as .xlsx (OfficialForm) and read back when a unit filled it offline (OfficialFormImport).</summary>
public sealed class OfficialFormTests
{
    const string Title = "2019肇庆市“学雷锋全民志愿服务行动月”活动开展情况统计表";
    static readonly XNamespace Main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

    static readonly IStringLocalizer Text = new ServiceCollection()
        .AddLogging()
        .AddLocalization(o => o.ResourcesPath = "Resources")
        .BuildServiceProvider()
        .GetRequiredService<IStringLocalizer<SharedResource>>();

    /// <summary>Three activities (the second typed in) and two media rows; the totals are given, not sums (3 organisations, not 4).</summary>
    static ReportTable Table() => new(
        "肇庆学院",
        Title,
        new DateOnly(2019, 3, 1),
        new DateOnly(2019, 3, 31),
        [
            new ActivityRow("关爱空巢老人（肇庆学院青年志愿者协会）", 12, 2, "空巢老人", 30, 150, 1234.5m, IsTypedIn: false),
            new ActivityRow("植树护绿（端州区团委）", 40, 1, "农村留守儿童、残疾人", 0, 50, 0m, IsTypedIn: true),
            new ActivityRow("交通文明劝导（肇庆学院）", 8, 1, "", 0, 480, 200m, IsTypedIn: false),
        ],
        new ActivityTotals(60, 3, 30, 680, 1434.5m),
        [
            new MediaRow("关爱空巢老人（肇庆学院青年志愿者协会）", 1, 2, ["https://mp.weixin.qq.com/s/abc", "http://www.zqu.edu.cn/news/1.html"], 3500, IsTypedIn: false),
            new MediaRow("植树护绿（端州区团委）", 0, 1, ["https://example.org/tree?id=1&x=2"], 800, IsTypedIn: true),
        ],
        new MediaTotals(1, 3, 3, 4300),
        "李老师",
        "0758-2716000");

    static byte[] Write(ReportTable table)
    {
        using var output = new MemoryStream();
        OfficialForm.Write(table, output);
        return output.ToArray();
    }

    /// <summary>What sheet1.xml holds: each cell's text (inline string or number), whether it is a number, and its style's font and fill.</summary>
    sealed class Written
    {
        public Dictionary<string, (string Value, bool IsNumber, int Style)> Cells { get; } = [];
        public List<string> Merges { get; } = [];
        public Dictionary<int, double> Heights { get; } = [];
        public List<(bool Bold, double Size, int Fill, bool Wrap)> Styles { get; } = [];

        public string this[string reference] => Cells.TryGetValue(reference, out var c) ? c.Value : "";

        public (bool Bold, double Size, int Fill, bool Wrap) StyleOf(string reference) => Styles[Cells[reference].Style];

        public static Written Read(byte[] xlsx)
        {
            using var zip = new ZipArchive(new MemoryStream(xlsx));
            var written = new Written();
            var styles = XDocument.Load(zip.GetEntry("xl/styles.xml")!.Open());
            var fonts = styles.Descendants(Main + "font").Select(f => (Bold: f.Element(Main + "b") is not null, Size: (double)f.Element(Main + "sz")!.Attribute("val")!)).ToList();
            foreach (var xf in styles.Root!.Element(Main + "cellXfs")!.Elements(Main + "xf"))
            {
                var font = fonts[(int)xf.Attribute("fontId")!];
                written.Styles.Add((font.Bold, font.Size, (int)xf.Attribute("fillId")!, (string?)xf.Element(Main + "alignment")?.Attribute("wrapText") == "1"));
            }
            var sheet = XDocument.Load(zip.GetEntry("xl/worksheets/sheet1.xml")!.Open());
            foreach (var row in sheet.Descendants(Main + "row"))
            {
                if (row.Attribute("ht") is { } ht)
                {
                    written.Heights[(int)row.Attribute("r")!] = (double)ht;
                }
            }
            foreach (var c in sheet.Descendants(Main + "c"))
            {
                var isNumber = c.Attribute("t") is null && c.Element(Main + "v") is not null;
                var value = isNumber ? c.Element(Main + "v")!.Value : string.Concat(c.Descendants(Main + "t").Select(t => t.Value));
                written.Cells[(string)c.Attribute("r")!] = (value, isNumber, (int?)c.Attribute("s") ?? 0);
            }
            written.Merges.AddRange(sheet.Descendants(Main + "mergeCell").Select(m => (string)m.Attribute("ref")!));
            return written;
        }
    }

    [Fact]
    public void TheFormHasTheNoticesTitleUnitPeriodAndTwoHeaderRowsWithTheirMerges()
    {
        var form = Written.Read(Write(Table()));

        Assert.Equal(Title, form["A1"]);
        Assert.Equal((true, 16.0), (form.StyleOf("A1").Bold, form.StyleOf("A1").Size));
        Assert.Equal("填报单位（盖章）：肇庆学院", form["A2"]);
        Assert.Equal("统计时段：2019-03-01 至 2019-03-31", form["A3"]);
        Assert.Equal(["序号", "活动名称（含主办单位）", "参与志愿者人次", "参与志愿服务组织数量", "覆盖人群", "", "累计志愿服务时数", "投入资金及物料（元）"],
            "ABCDEFGH".Select(c => form[$"{c}4"]));
        Assert.Equal(["", "", "", "", "类型", "服务人次", "", ""], "ABCDEFGH".Select(c => form[$"{c}5"]));
        Assert.True(form.StyleOf("B4").Bold);
        Assert.True(form.StyleOf("E5").Bold);
        Assert.Subset(form.Merges.ToHashSet(), new HashSet<string> { "A1:H1", "A2:H2", "A3:H3", "E4:F4", "A4:A5", "B4:B5", "C4:C5", "D4:D5", "G4:G5", "H4:H5" });
        Assert.DoesNotContain("E4:E5", form.Merges);
    }

    [Fact]
    public void DataRowsAreNumberedNumbersAreNumericCellsAndTheTotalsAreTheGivenOnes()
    {
        var form = Written.Read(Write(Table()));

        Assert.Equal(["1", "2", "3"], new[] { "A6", "A7", "A8" }.Select(r => form[r]));
        Assert.Equal("关爱空巢老人（肇庆学院青年志愿者协会）", form["B6"]);
        Assert.Equal(("12", true), (form.Cells["C6"].Value, form.Cells["C6"].IsNumber));
        Assert.Equal(("2", true), (form.Cells["D6"].Value, form.Cells["D6"].IsNumber));
        Assert.Equal("空巢老人", form["E6"]);
        Assert.Equal(("30", true), (form.Cells["F6"].Value, form.Cells["F6"].IsNumber));
        Assert.Equal(("2.5", true), (form.Cells["G6"].Value, form.Cells["G6"].IsNumber)); // 150 minutes
        Assert.Equal(("1234.5", true), (form.Cells["H6"].Value, form.Cells["H6"].IsNumber));
        Assert.Equal("0.83", form["G7"]); // 50 minutes, two decimals

        Assert.Equal("合计", form["A9"]);
        Assert.Equal(["60", "3", "30", "11.33", "1434.5"], new[] { "C9", "D9", "F9", "G9", "H9" }.Select(r => form[r]));
        Assert.All(new[] { "C9", "D9", "F9", "G9", "H9" }, r => Assert.True(form.Cells[r].IsNumber));
        Assert.True(form.StyleOf("A9").Bold);
    }

    [Fact]
    public void TheMediaTableFollowsWithLinksOneALineAndItsTotalCountsTheLinks()
    {
        var form = Written.Read(Write(Table()));

        Assert.Equal("媒体宣传情况", form["A10"]);
        Assert.Contains("A10:H10", form.Merges);
        Assert.Equal(["序号", "活动名称（含主办单位）", "纸媒报道数（条）", "网站报道数（条）", "网页或微信链接", "网页或微信阅读数（条/次）"],
            "ABCDEF".Select(c => form[$"{c}11"]));
        Assert.Equal("https://mp.weixin.qq.com/s/abc\nhttp://www.zqu.edu.cn/news/1.html", form["E12"]);
        Assert.True(form.StyleOf("E12").Wrap);
        Assert.Equal(["1", "2", "3500"], new[] { "C12", "D12", "F12" }.Select(r => form[r]));
        Assert.Equal("https://example.org/tree?id=1&x=2", form["E13"]);
        Assert.Equal("合计", form["A14"]);
        Assert.Equal(["1", "3", "3", "4300"], new[] { "C14", "D14", "E14", "F14" }.Select(r => form[r]));
    }

    [Fact]
    public void TheFootHasTheContactThePhoneAndTheNoticesNoteInATallWrappedRow()
    {
        var form = Written.Read(Write(Table()));

        Assert.All("ABCDEFGH", c => Assert.False(form.Cells.ContainsKey($"{c}15"), "row 15 is the blank row"));
        Assert.Equal("联系人：李老师", form["A16"]);
        Assert.Equal("联系电话：0758-2716000", form["A17"]);
        Assert.StartsWith("备注：1、“覆盖人群”栏中“类型”项请选择填写残疾人", form["A18"]);
        Assert.EndsWith("总结材料须含新闻宣传链接、截图以及先进典型事迹素材等。", form["A18"]);
        Assert.Contains("A18:H18", form.Merges);
        Assert.True(form.StyleOf("A18").Wrap);
        Assert.True(form.Heights[18] >= 60);
    }

    [Fact]
    public void TypedInRowsAreMarkedByNameAndByColour()
    {
        var form = Written.Read(Write(Table()));

        Assert.Equal("植树护绿（端州区团委）（填报录入）", form["B7"]);
        Assert.Equal("植树护绿（端州区团委）（填报录入）", form["B13"]);
        Assert.Equal("关爱空巢老人（肇庆学院青年志愿者协会）", form["B12"]);
        Assert.All("ABCDEFGH", c => Assert.NotEqual(0, form.StyleOf($"{c}7").Fill));
        Assert.All("ABCDEF", c => Assert.NotEqual(0, form.StyleOf($"{c}13").Fill));
        Assert.All("ABCDEFGH", c => Assert.Equal(0, form.StyleOf($"{c}6").Fill));
        Assert.All("ABCDEF", c => Assert.Equal(0, form.StyleOf($"{c}12").Fill));
    }

    [Fact]
    public void TheSameTableGivesTheSameBytes()
    {
        var first = Write(Table());
        var second = Write(Table());

        Assert.Equal(SHA256.HashData(first), SHA256.HashData(second));
        using var zip = new ZipArchive(new MemoryStream(first));
        Assert.All(zip.Entries, e => Assert.Equal(2000, e.LastWriteTime.Year));
    }

    [Fact]
    public void TextWithControlCharactersIsWrittenWithoutThem()
    {
        var table = Table() with { UnitName = "肇庆\u0001学院\u000B", ContactName = "李\uD800老师" };
        var form = Written.Read(Write(table));

        Assert.Equal("填报单位（盖章）：肇庆学院", form["A2"]);
        Assert.Equal("联系人：李老师", form["A16"]);
    }

    [Fact]
    public void AnExportedFormImportsBackAsTheSameRowsTypedIn()
    {
        var table = Table();

        var result = OfficialFormImport.Parse(new MemoryStream(Write(table)), "统计表.xlsx", Text);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors.Prepend(result.FileError ?? "")));
        Assert.Equal(table.Activities.Select(a => a with { IsTypedIn = true }), result.Activities);
        Assert.Equal(table.Media.Count, result.Media.Count);
        foreach (var (expected, actual) in table.Media.Zip(result.Media))
        {
            Assert.Equal((expected.Name, expected.PrintReports, expected.WebsiteReports, expected.Reads, true),
                (actual.Name, actual.PrintReports, actual.WebsiteReports, actual.Reads, actual.IsTypedIn));
            Assert.Equal(expected.Links, actual.Links);
        }
    }

    [Fact]
    public void TheNoticesBlankFormFilledInByHandImportsOnlyTheFilledRows()
    {
        var file = Xlsx(
            [Title],
            ["填报单位（盖章）：端州区团委"],
            ["序号", "活动名称（含主办单位）", "参与志愿者人次", "参与志愿服务组织数量", "覆盖人群", "", "累计志愿服务时数", "投入资金及物料（元）"],
            ["", "", "", "", "类型", "服务人次", "", ""],
            ["1", "清洁家园（端州区团委）", "12.0", "1", "空巢老人", "20", "1.1000000000000001", "1,234.50"],
            ["2", "义诊（端州区人民医院）", "", "", "", "", "3.75", "¥88"],
            ["3"],
            ["合计", "", "=SUM(C5:C7)", "", "", "", "", ""],
            ["媒体宣传情况"],
            ["序号", "活动名称（含主办单位）", "纸媒报道数（条）", "网站报道数（条）", "网页或微信链接", "网页或微信阅读数（条/次）"],
            ["1", "清洁家园（端州区团委）", "1", "2", "https://a.example/1、https://a.example/2；http://b.example/3 \n https://c.example/4", "100"],
            ["2"],
            ["合计"],
            [],
            ["联系人：王老师"]);

        var result = OfficialFormImport.Parse(new MemoryStream(file), "填好的.xlsx", Text);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors.Prepend(result.FileError ?? "")));
        Assert.Equal(
            [
                new ActivityRow("清洁家园（端州区团委）", 12, 1, "空巢老人", 20, 66, 1234.5m, true),
                new ActivityRow("义诊（端州区人民医院）", 0, 0, "", 0, 225, 88m, true),
            ],
            result.Activities);
        var media = Assert.Single(result.Media);
        Assert.Equal(["https://a.example/1", "https://a.example/2", "http://b.example/3", "https://c.example/4"], media.Links);
        Assert.Equal((1, 2, 100), (media.PrintReports, media.WebsiteReports, media.Reads));
    }

    [Fact]
    public void BadCellsAreEachNamedByTheirAddressAndNothingIsAccepted()
    {
        var file = Xlsx(
            [Title],
            ["填报单位（盖章）：端州区团委"],
            [],
            ["序号", "活动名称（含主办单位）", "参与志愿者人次", "参与志愿服务组织数量", "覆盖人群", "", "累计志愿服务时数", "投入资金及物料（元）"],
            ["", "", "", "", "类型", "服务人次", "", ""],
            ["1", "没有问题的一行", "3", "1", "", "", "2", "0"],
            ["2", "有问题的一行", "abc", "-1", "", "1.5", "1.255", "1,5"],
            ["3", "", "=1+1", "1", "", "", "", ""],
            ["合计", "", "=SUM(C6:C8)", "", "", "", "", ""],
            ["媒体宣传情况"],
            ["序号", "活动名称（含主办单位）", "纸媒报道数（条）", "网站报道数（条）", "网页或微信链接", "网页或微信阅读数（条/次）"],
            ["1", "报道", "2", "1", "https://ok.example/a\nftp://bad.example/x\nwww.no-scheme.cn", "很多"],
            ["合计"]);

        using var chinese = InCulture("zh-CN");
        var result = OfficialFormImport.Parse(new MemoryStream(file), "填好的.xlsx", Text);

        Assert.Null(result.FileError);
        Assert.Equal(
            [
                "C7: 参与志愿者人次必须是不小于0的整数",
                "D7: 参与志愿服务组织数量必须是不小于0的整数",
                "F7: 覆盖人群服务人次必须是不小于0的整数",
                "G7: 累计志愿服务时数必须是不小于0的数，最多两位小数",
                "H7: 投入资金及物料（元）必须是不小于0的数，最多两位小数",
                "B8: 活动名称（含主办单位）不能为空",
                "C8: " + Text["Import.Error.Formula"],
                "E12: “ftp://bad.example/x”不是以 http:// 或 https:// 开头的完整网址（多个链接请分行填写）",
                "E12: “www.no-scheme.cn”不是以 http:// 或 https:// 开头的完整网址（多个链接请分行填写）",
                "F12: 网页或微信阅读数必须是不小于0的整数",
            ],
            result.Errors);
        Assert.Empty(result.Activities);
        Assert.Empty(result.Media);
    }

    [Fact]
    public void ARowAddedBetweenTheTablesIsAnErrorRatherThanLeftOut()
    {
        var file = Xlsx(
            ["序号", "活动名称（含主办单位）", "参与志愿者人次", "参与志愿服务组织数量", "覆盖人群", "", "累计志愿服务时数", "投入资金及物料（元）"],
            ["", "", "", "", "类型", "服务人次", "", ""],
            ["1", "义诊", "3", "1", "", "", "2", "0"],
            ["合计", "", "3", "1", "", "", "2", "0"],
            ["", "补填的活动", "5", "1", "", "", "1", "0"],
            ["媒体宣传情况"],
            ["序号", "活动名称（含主办单位）", "纸媒报道数（条）", "网站报道数（条）", "网页或微信链接", "网页或微信阅读数（条/次）"],
            ["合计"]);
        using var chinese = InCulture("zh-CN");

        var result = OfficialFormImport.Parse(new MemoryStream(file), "form.xlsx", Text);

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("B5: 这一行在两个表格之外", error);
        Assert.Empty(result.Activities);
    }

    [Fact]
    public void ErrorsAreInEnglishForAnEnglishReader()
    {
        var file = Xlsx(
            ["序号", "活动名称（含主办单位）", "参与志愿者人次", "参与志愿服务组织数量", "覆盖人群", "", "累计志愿服务时数", "投入资金及物料（元）"],
            ["", "", "", "", "类型", "服务人次", "", ""],
            [],
            [],
            [],
            [],
            ["1", "Tree planting", "3", "2.5", "", "", "", ""]);
        using var english = InCulture("en");

        var result = OfficialFormImport.Parse(new MemoryStream(file), "form.xlsx", Text);

        Assert.Equal(["D7: organisations taking part must be a whole number, 0 or more"], result.Errors);
    }

    [Fact]
    public void AFileThatIsNotAnXlsxIsRefusedAsAWhole()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);

        using var chinese = InCulture("zh-CN");
        var result = OfficialFormImport.Parse(new MemoryStream(bytes), "统计表.xlsx", Text);

        Assert.Equal(Text["Import.Error.NotXlsx"], result.FileError);
        Assert.False(result.Succeeded);
        Assert.Empty(result.Activities);
    }

    [Fact]
    public void ASpreadsheetWithoutTheFormsHeaderIsRefusedAsNotTheForm()
    {
        var file = Xlsx(["姓名", "证件号码"], ["张三", "11010519491231002X"]);

        using var chinese = InCulture("zh-CN");
        var result = OfficialFormImport.Parse(new MemoryStream(file), "volunteers.xlsx", Text);

        Assert.Equal(Text["Form.Error.NotTheForm"], result.FileError);
        Assert.StartsWith("这不是正式统计表", result.FileError);
    }

    [Fact]
    public void AFormWithAColumnTakenOutIsRefusedAtTheHeaderThatMovedRatherThanReadIntoTheWrongFields()
    {
        var file = Xlsx(
            ["序号", "活动名称（含主办单位）", "参与志愿服务组织数量", "覆盖人群", "", "累计志愿服务时数", "投入资金及物料（元）"],
            ["1", "义诊", "2", "", "", "3", "0"]);

        using var chinese = InCulture("zh-CN");
        var result = OfficialFormImport.Parse(new MemoryStream(file), "form.xlsx", Text);

        Assert.StartsWith("C1: ", result.FileError);
        Assert.Contains("参与志愿者人次", result.FileError);
    }

    [Fact]
    public void LibreOfficeOpensTheWrittenFormAndPrintsItToPdf()
    {
        var soffice = new[] { "soffice", "libreoffice" }
            .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);
        if (soffice is null)
        {
            // CI installs LibreOffice (test.sh) and must prove the file opens; elsewhere it is optional.
            Assert.False(Environment.GetEnvironmentVariable("CI") is { } ci && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1"),
                "CI=true but LibreOffice (soffice) is not installed.");
            return;
        }
        var folder = Directory.CreateTempSubdirectory("zhiyuan-form-");
        var profile = Path.Combine(Path.GetTempPath(), "lo-" + Guid.NewGuid().ToString("N"));
        try
        {
            var xlsx = Path.Combine(folder.FullName, "统计表.xlsx");
            File.WriteAllBytes(xlsx, Write(Table()));

            RunLibreOffice(soffice, profile, "pdf", folder.FullName, xlsx);
            var pdf = new FileInfo(Path.ChangeExtension(xlsx, ".pdf"));
            Assert.True(pdf.Exists && pdf.Length > 0, "LibreOffice wrote no PDF.");
            using (var start = pdf.OpenRead())
            {
                var magic = new byte[5];
                start.ReadExactly(magic);
                Assert.Equal("%PDF-", Encoding.ASCII.GetString(magic));
            }

            // And it reads the cells as written: as CSV (UTF-8), the title, a number and the totals are there.
            RunLibreOffice(soffice, profile, "csv:Text - txt - csv (StarCalc):44,34,76", folder.FullName, xlsx);
            var csv = File.ReadAllText(Path.ChangeExtension(xlsx, ".csv"), Encoding.UTF8);
            Assert.Contains(Title, csv);
            Assert.Contains("合计,,60,3,,30,11.33", csv);
            Assert.Contains("植树护绿（端州区团委）（填报录入）", csv);
        }
        finally
        {
            folder.Delete(recursive: true);
            if (Directory.Exists(profile))
            {
                Directory.Delete(profile, recursive: true);
            }
        }
    }

    static void RunLibreOffice(string soffice, string profile, string format, string outputFolder, string file)
    {
        var start = new ProcessStartInfo(soffice, ["-env:UserInstallation=file://" + profile, "--headless", "--convert-to", format, "--outdir", outputFolder, file])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("LibreOffice did not finish converting within two minutes.");
        }
        Assert.True(process.ExitCode == 0, $"soffice exited with {process.ExitCode}: {output.Result} {error.Result}");
    }

    /// <summary>Sets the language the localizer answers in until disposed.</summary>
    static IDisposable InCulture(string name)
    {
        var previous = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo(name);
        return new Restore(() => CultureInfo.CurrentUICulture = previous);
    }

    sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    /// <summary>
    /// A minimal .xlsx as Excel or WPS would save a filled form: one row per array from row 1, text
    /// as inline strings, numbers as numbers, and "=…" as a formula with a cached value.
    /// </summary>
    static byte[] Xlsx(params string[][] rows)
    {
        var sheet = new StringBuilder($"""<worksheet xmlns="{Main}"><sheetData>""");
        for (var r = 0; r < rows.Length; r++)
        {
            sheet.Append(CultureInfo.InvariantCulture, $"""<row r="{r + 1}">""");
            for (var c = 0; c < rows[r].Length; c++)
            {
                var value = rows[r][c];
                var reference = $"{(char)('A' + c)}{r + 1}";
                if (value.Length == 0)
                {
                    continue;
                }
                var escaped = System.Security.SecurityElement.Escape(value);
                if (value.StartsWith('='))
                {
                    sheet.Append(CultureInfo.InvariantCulture, $"""<c r="{reference}"><f>{System.Security.SecurityElement.Escape(value[1..])}</f><v>2</v></c>""");
                }
                else if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                {
                    sheet.Append(CultureInfo.InvariantCulture, $"""<c r="{reference}"><v>{escaped}</v></c>""");
                }
                else
                {
                    sheet.Append(CultureInfo.InvariantCulture, $"""<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{escaped}</t></is></c>""");
                }
            }
            sheet.Append("</row>");
        }
        sheet.Append("</sheetData></worksheet>");
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create))
        {
            using var writer = new StreamWriter(zip.CreateEntry("xl/worksheets/sheet1.xml").Open(), new UTF8Encoding(false));
            writer.Write(sheet.ToString());
        }
        return output.ToArray();
    }
}
