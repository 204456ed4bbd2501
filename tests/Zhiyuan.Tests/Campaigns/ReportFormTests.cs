using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Zhiyuan.Web.Campaigns;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Campaigns;

/// <summary>The official form through HTTP: downloaded for a unit and for the city, and a filled form imported.</summary>
public sealed class ReportFormTests : AppTest
{
    static MultipartFormDataContent Upload(byte[] content, string fileName)
    {
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue(CampaignsApi.XlsxType);
        return new MultipartFormDataContent { { file, "file", fileName } };
    }

    static ReportTable Filled(params ActivityRow[] rows) => new("鼎湖区", "测试行动月活动开展情况统计表", new DateOnly(2019, 3, 1), new DateOnly(2019, 3, 7), rows,
        new ActivityTotals(0, 0, 0, 0, 0), [new MediaRow("义诊（鼎湖区人民医院）", 1, 1, ["https://www.dinghu.gov.cn/news/1.html"], 900, false)],
        new MediaTotals(1, 1, 1, 900), "王干事", "0758-2660000");

    static byte[] Xlsx(ReportTable table)
    {
        using var output = new MemoryStream();
        OfficialForm.Write(table, output);
        return output.ToArray();
    }

    [Fact]
    public async Task TheFormDownloadsForAUnitAndForTheCityWithTheComputedFigures()
    {
        var data = await CampaignData.CreateAsync(app);
        using var city = await app.ApiClientAsync();
        var response = await city.GetAsync($"/api/campaigns/{data.CampaignId}/reports/441200/1/form.xlsx");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(CampaignsApi.XlsxType, response.Content.Headers.ContentType?.MediaType);
        var rows = OfficialFormImport.Parse(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), "form.xlsx", app.Services.GetRequiredService<Microsoft.Extensions.Localization.IStringLocalizer<Zhiyuan.Web.SharedResource>>());
        Assert.True(rows.Succeeded, string.Join("; ", rows.Errors.Prepend(rows.FileError ?? "")));
        Assert.Equal(["社区普法（城东街道志愿服务队）", "敬老院探访（鼎湖区义工联）", "西江清洁（端州区青年志愿者协会）"], rows.Activities.Select(r => r.Name));
        Assert.Equal(510, rows.Activities[1].Minutes);
        // Outside the caller's subtree the form does not exist.
        await app.CreateUnitAdminAsync("dinghu", "441203");
        using var dinghu = await app.ApiClientAsync("dinghu", "Unit-admin-2019");
        Assert.Equal(HttpStatusCode.NotFound, (await dinghu.GetAsync($"/api/campaigns/{data.CampaignId}/reports/441202/1/form.xlsx")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await dinghu.GetAsync($"/api/campaigns/{data.CampaignId}/reports/441203/1/form.xlsx")).StatusCode);
    }

    [Fact]
    public async Task AFilledFormBecomesTypedInRowsOrIsRefusedCellByCellWithNothingSaved()
    {
        var data = await CampaignData.CreateAsync(app);
        using var city = await app.ApiClientAsync();
        var url = $"/api/campaigns/{data.CampaignId}/reports/441203/1/import";

        // A negative person-times in the first data row (row 6, column C).
        var bad = Xlsx(Filled(new ActivityRow("义诊（鼎湖区人民医院）", -5, 1, "空巢老人", 40, 240, 300m, false)));
        var refused = await city.PostAsync(url, Upload(bad, "鼎湖区.xlsx"));
        var errors = await Pages.AssertFieldErrorAsync(refused, "file", "C6");
        Assert.Contains("参与志愿者人次", errors.GetProperty("errors").GetProperty("file")[0].GetString());
        // Not a spreadsheet at all, whatever its name says.
        await Pages.AssertFieldErrorAsync(await city.PostAsync(url, Upload("PK not really a zip"u8.ToArray(), "统计表.xlsx")), "file", "");
        Assert.Equal(0, await app.WithDbAsync(db => db.TypedInRows.CountAsync()));

        var good = Xlsx(Filled(new ActivityRow("义诊（鼎湖区人民医院）", 12, 1, "空巢老人", 40, 240, 300m, false)));
        var report = await OkAsync(await city.PostAsync(url, Upload(good, "鼎湖区.xlsx")));
        var row = report.GetProperty("table").GetProperty("activities").EnumerateArray().Single(r => r.GetProperty("isTypedIn").GetBoolean());
        Assert.Equal(("义诊（鼎湖区人民医院）", 12, 240), (row.GetProperty("name").GetString(), row.GetProperty("personTimes").GetInt32(), row.GetProperty("minutes").GetInt32()));
        var media = report.GetProperty("table").GetProperty("media").EnumerateArray().Single(r => r.GetProperty("isTypedIn").GetBoolean());
        Assert.Equal(900, media.GetProperty("reads").GetInt32());
        Assert.Equal(2, report.GetProperty("typedInRows").GetArrayLength());
    }
}
