using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using MiniExcelLibs;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Tests.Volunteers;

public sealed class ImportTests : AppTest
{
    const string Header = "姓名,证件类型,证件号码,手机号码,所属单位代码,技能特长,服务意向,监护人姓名";

    static MultipartFormDataContent Upload(byte[] file, string fileName, string unitCode = "441202")
    {
        var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(content, "file", fileName);
        form.Add(new StringContent(unitCode), "unitCode");
        return form;
    }

    internal static async Task<HttpResponseMessage> ImportAsync(TestApp app, byte[] file, string fileName, string user = "admin", string password = TestApp.AdminPassword)
    {
        using var client = await app.ApiClientAsync(user, password);
        return await client.PostAsync("/api/volunteers/import", Upload(file, fileName));
    }

    internal static async Task ImportCsvAsync(TestApp app, string csv)
    {
        var response = await ImportAsync(app, Encoding.UTF8.GetBytes(csv), "volunteers.csv");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    static string Row(int i, string? id = null, string? mobile = null, string unit = "", string guardian = "") =>
        $"志愿者{i},居民身份证,{id ?? People.ResidentId(1980 + i % 20, 100 + i)},{mobile ?? "137" + i.ToString("D8")},{unit},急救,创建文明城市、生态环保,{guardian}";

    static async Task<JsonElement[]> RowErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return problem.TryGetProperty("rowErrors", out var errors) ? errors.EnumerateArray().ToArray() : [];
    }

    async Task<string> TitleOfRefusalAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await app.WithDbAsync(db => db.Volunteers.CountAsync()));
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString()!;
    }

    [Fact]
    public async Task AnExcelFileFromAnotherPlatformImportsEveryRowWithNumbersAndEncryptedData()
    {
        var rows = Enumerable.Range(1, 40).Select(i => new Dictionary<string, object>
        {
            ["姓名"] = "志愿者" + i, ["证件类型"] = "居民身份证", ["证件号码"] = People.ResidentId(1980 + i % 20, 100 + i),
            ["手机号码"] = "137" + i.ToString("D8"), ["所属单位代码"] = i % 2 == 0 ? "441284" : "", ["技能特长"] = "急救", ["服务意向"] = "生态环保", ["监护人姓名"] = "",
        }).ToList();
        using var xlsx = new MemoryStream();
        await xlsx.SaveAsAsync(rows);

        var response = await ImportAsync(app, xlsx.ToArray(), "从其他平台导出.xlsx");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(40, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("imported").GetInt32());
        var stored = await app.WithDbAsync(db => db.Volunteers.AsNoTracking().Include(v => v.Unit).OrderBy(v => v.Number).ToListAsync());
        Assert.Equal(Enumerable.Range(1, 40).Select(i => $"ZY{i:D8}"), stored.Select(v => v.Number));
        Assert.Equal(20, stored.Count(v => v.Unit!.Code == "441284"));
        Assert.All(stored, v => Assert.Null(v.UserId));
        Assert.Equal("137****0007", stored.Single(v => v.Name == "志愿者7").PhoneMasked);

        using var city = await app.ApiClientAsync();
        var found = await city.GetFromJsonAsync<JsonElement>("/api/volunteers?q=0007");
        Assert.Equal("志愿者7", found.GetProperty("items")[0].GetProperty("name").GetString());
        var audit = await city.GetFromJsonAsync<JsonElement[]>("/api/audit");
        Assert.Contains(audit!, e => e.GetProperty("action").GetString() == "volunteer.import" && e.GetProperty("details").GetString()!.Contains("40"));
    }

    [Fact]
    public async Task AnyBadRowImportsNothingAndEveryErrorNamesRowColumnAndReason()
    {
        var csv = new StringBuilder(Header + "\n");
        csv.AppendLine(Row(1));
        csv.AppendLine(Row(2, id: "110105194912310021"));
        csv.AppendLine(Row(3, mobile: "1234"));
        csv.AppendLine(Row(4, unit: "NOPE"));
        csv.AppendLine(Row(5, id: People.ResidentId(1980 + 1, 101)));
        csv.AppendLine(Row(6, id: People.ResidentId(People.AgedYears(16), 106)));

        var errors = await RowErrorsAsync(await ImportAsync(app, Encoding.UTF8.GetBytes(csv.ToString()), "bad.csv"));

        string ReasonAt(int row, string column) => errors.Single(e => e.GetProperty("row").GetInt32() == row && e.GetProperty("column").GetString() == column).GetProperty("reason").GetString()!;
        Assert.Contains("校验位", ReasonAt(3, "证件号码"));
        Assert.Contains("11 位", ReasonAt(4, "手机号码"));
        Assert.Contains("NOPE", ReasonAt(5, "所属单位代码"));
        Assert.Contains("第 2 行", ReasonAt(6, "证件号码"));
        Assert.Contains("监护人", ReasonAt(7, "监护人姓名"));
        Assert.DoesNotContain(errors, e => e.GetProperty("row").GetInt32() == 2);
        Assert.Equal(0, await app.WithDbAsync(db => db.Volunteers.CountAsync()));

        // The same errors as a file to download, one line each.
        using var client = await app.ApiClientAsync();
        client.DefaultRequestHeaders.Accept.ParseAdd("text/csv");
        var download = await client.PostAsync("/api/volunteers/import", Upload(Encoding.UTF8.GetBytes(csv.ToString()), "bad.csv"));
        Assert.Equal(HttpStatusCode.BadRequest, download.StatusCode);
        Assert.Equal("text/csv", download.Content.Headers.ContentType!.MediaType);
        var lines = (await download.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("行号,列,原因", lines[0]);
        Assert.Equal(errors.Length + 1, lines.Length);
        Assert.StartsWith("3,\"证件号码\",", lines[1]);
    }

    [Fact]
    public async Task RowsAlreadyRegisteredAreReportedAgainstTheDatabase()
    {
        var id = People.ResidentId(1990, 555);
        await app.RegisterAsync("李明", id, "13812345678");
        var csv = Header + "\n" + Row(1) + "\n" + Row(2, id: id) + "\n" + Row(3, mobile: "13812345678") + "\n";

        var errors = await RowErrorsAsync(await ImportAsync(app, Encoding.UTF8.GetBytes(csv), "again.csv"));

        Assert.Equal([(3, "证件号码"), (4, "手机号码")], errors.Select(e => (e.GetProperty("row").GetInt32(), e.GetProperty("column").GetString()!)));
        Assert.Equal(1, await app.WithDbAsync(db => db.Volunteers.CountAsync()));
    }

    [Fact]
    public async Task AFileWithWrongOrMissingColumnsIsRefusedWithTheColumnsExpected()
    {
        Assert.Contains("“电话”", await TitleOfRefusalAsync(await ImportAsync(app, Encoding.UTF8.GetBytes("姓名,证件号码,电话\n"), "wrong.csv")));
        Assert.Contains("手机号码", await TitleOfRefusalAsync(await ImportAsync(app, Encoding.UTF8.GetBytes("姓名,证件类型,证件号码\n张三,居民身份证,1\n"), "missing.csv")));
    }

    [Fact]
    public async Task AFileThatIsNotWhatItsNameSaysIsRefused()
    {
        Assert.Contains("不是有效的 .xlsx", await TitleOfRefusalAsync(await ImportAsync(app, Encoding.UTF8.GetBytes(Header + "\n" + Row(1)), "renamed.xlsx")));
        Assert.Contains(".xlsx 或 .csv", await TitleOfRefusalAsync(await ImportAsync(app, [1, 2, 3], "photo.jpg")));
        Assert.Contains("不是文本", await TitleOfRefusalAsync(await ImportAsync(app, [0x50, 0x4B, 0, 0, 0], "zip.csv")));
    }

    [Fact]
    public async Task FormulasAreRefusedInExcelAndInCsv()
    {
        var xlsx = HandMadeXlsx(
            [("姓名", false), ("证件类型", false), ("证件号码", false), ("手机号码", false)],
            [("王五", false), ("居民身份证", false), (People.ResidentId(1990), false), ("HYPERLINK(\"http://evil\")", true)]);
        var errors = await RowErrorsAsync(await ImportAsync(app, xlsx, "formula.xlsx"));
        Assert.Contains(errors, e => e.GetProperty("row").GetInt32() == 2 && e.GetProperty("column").GetString() == "手机号码" && e.GetProperty("reason").GetString()!.Contains("公式"));

        var csv = Header + "\n" + $"=CMD|' /C calc'!A0,居民身份证,{People.ResidentId(1990)},13800000001,,,,\n";
        errors = await RowErrorsAsync(await ImportAsync(app, Encoding.UTF8.GetBytes(csv), "formula.csv"));
        Assert.Contains(errors, e => e.GetProperty("column").GetString() == "姓名" && e.GetProperty("reason").GetString()!.Contains("公式"));
    }

    [Fact]
    public async Task HugeCellsAreReportedAndAMillionEmptyRowsAreRefused()
    {
        var csv = Header + "\n" + $"{new string('名', 100_000)},居民身份证,{People.ResidentId(1990)},13800000001,,,,\n";
        var errors = await RowErrorsAsync(await ImportAsync(app, Encoding.UTF8.GetBytes(csv), "huge.csv"));
        Assert.Contains(errors, e => e.GetProperty("column").GetString() == "姓名" && e.GetProperty("reason").GetString()!.Contains(SpreadsheetReader.MaxCellLength.ToString()));

        var emptyRows = new StringBuilder(Header + "\n" + Row(1) + "\n").Append(',', 1).Append(new string('\n', 1_000_000)).ToString();
        Assert.Contains("超过上限", await TitleOfRefusalAsync(await ImportAsync(app, Encoding.UTF8.GetBytes(emptyRows), "empty-rows.csv")));

        var sheet = new StringBuilder();
        for (var i = 3; i < 1_000_003; i++)
        {
            sheet.Append("<row r=\"").Append(i).Append("\"/>");
        }
        var xlsx = HandMadeXlsx([("姓名", false), ("证件类型", false), ("证件号码", false), ("手机号码", false)],
            [("王五", false), ("居民身份证", false), (People.ResidentId(1990), false), ("13800000001", false)], extraRows: sheet.ToString());
        Assert.True(xlsx.Length < 5_000_000, "the million empty rows compress to a small file");
        Assert.Contains("超过上限", await TitleOfRefusalAsync(await ImportAsync(app, xlsx, "empty-rows.xlsx")));
    }

    [Fact]
    public async Task ACsvSavedByChineseExcelInGb18030IsReadCorrectly()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var csv = Header + "\n" + Row(1) + "\n";
        var response = await ImportAsync(app, Encoding.GetEncoding("GB18030").GetBytes(csv), "gbk.csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("志愿者1", await app.WithDbAsync(db => db.Volunteers.Select(v => v.Name).SingleAsync()));
    }

    [Fact]
    public async Task AnAdministratorImportsOnlyIntoTheirOwnSubtree()
    {
        await app.CreateUnitAdminAsync("duanzhou", "441202", "Duanzhou-2019");
        var csv = Header + "\n" + Row(1, unit: "441284") + "\n";
        var errors = await RowErrorsAsync(await ImportAsync(app, Encoding.UTF8.GetBytes(csv), "other.csv", "duanzhou", "Duanzhou-2019"));
        Assert.Contains("441284", errors.Single().GetProperty("reason").GetString());
    }

    [Fact]
    public async Task TheImportPageShowsTheErrorsAndOffersThemForDownload()
    {
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var page = await browser.GetPageAsync("/volunteers/import");
        var token = page.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var form = Upload(Encoding.UTF8.GetBytes(Header + "\n" + Row(1, mobile: "99")), "bad.csv");
        form.Add(new StringContent("import"), "_handler");
        form.Add(new StringContent(token), "__RequestVerificationToken");

        var response = await browser.PostAsync("/volunteers/import", form);

        var html = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains("1 处错误", html.QuerySelector("#import-result")!.TextContent);
        Assert.Contains("手机号码", html.QuerySelector("#import-errors")!.TextContent);
        var href = html.QuerySelector("#import-errors-download")!.GetAttribute("href")!;
        var downloaded = Encoding.UTF8.GetString(Convert.FromBase64String(href[(href.IndexOf("base64,") + 7)..]));
        Assert.Contains("2,\"手机号码\"", downloaded);
    }

    /// <summary>A minimal .xlsx with inline strings, so a test can put a formula or odd rows exactly where it wants them.</summary>
    static byte[] HandMadeXlsx((string Text, bool Formula)[] header, (string Text, bool Formula)[] row, string extraRows = "")
    {
        static string Cells(int rowNumber, (string Text, bool Formula)[] cells) => string.Concat(cells.Select((c, i) =>
            c.Formula
                ? $"<c r=\"{(char)('A' + i)}{rowNumber}\" t=\"str\"><f>{System.Security.SecurityElement.Escape(c.Text)}</f><v>13800000001</v></c>"
                : $"<c r=\"{(char)('A' + i)}{rowNumber}\" t=\"inlineStr\"><is><t>{System.Security.SecurityElement.Escape(c.Text)}</t></is></c>"));
        using var file = new MemoryStream();
        using (var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, string content)
            {
                using var writer = new StreamWriter(zip.CreateEntry(name, CompressionLevel.Optimal).Open());
                writer.Write(content);
            }
            Add("[Content_Types].xml", """<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>""");
            Add("_rels/.rels", """<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>""");
            Add("xl/workbook.xml", """<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>""");
            Add("xl/_rels/workbook.xml.rels", """<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>""");
            Add("xl/worksheets/sheet1.xml", $"""<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">{Cells(1, header)}</row><row r="2">{Cells(2, row)}</row>{extraRows}</sheetData></worksheet>""");
        }
        return file.ToArray();
    }
}
