using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using AngleSharp.Html.Parser;
using SkiaSharp;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Campaigns;

public sealed class SummaryAndPackageTests : FrozenTablesCheckedTest
{
    static MultipartFormDataContent Screenshot()
    {
        using var bitmap = new SKBitmap(320, 200);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.SteelBlue);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        var file = new ByteArrayContent(data.ToArray());
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return new MultipartFormDataContent { { file, "screenshot", "wechat.png" } };
    }

    [Fact]
    public async Task TheFinalSummaryCarriesNarrativeLinksStoriesAndScreenshotsAndTheCityPackageIsFrozenWithItsHash()
    {
        var data = await CampaignData.CreateAsync(app, depth: 1);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        var summary = $"/api/campaigns/{data.CampaignId}/reports/441202/0";

        await Pages.AssertFieldErrorAsync(await duanzhou.PutAsJsonAsync(summary + "/summary", new { narrative = "总结", newsLinks = "不是链接" }), "newsLinks", "不是链接");
        await Pages.AssertFieldErrorAsync(await duanzhou.PutAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/441202/1/summary", new { narrative = "周报没有总结" }), "period", "");
        await OkAsync(await duanzhou.PutAsJsonAsync(summary + "/summary", new
        {
            narrative = "端州区共开展活动 2 场，参与志愿者 3 人次。",
            newsLinks = "https://mp.weixin.qq.com/s/duanzhou\nhttps://www.zq.gov.cn/news/2.html",
            roleModelStories = "陈队长带领河小青队伍坚持巡河三年。",
        }));
        var withShot = await OkAsync(await duanzhou.PostAsync(summary + "/screenshots", Screenshot()));
        var shotId = withShot.GetProperty("screenshotIds")[0].GetGuid();
        var notAnImage = new MultipartFormDataContent { { new ByteArrayContent("<svg onload=alert(1)>"u8.ToArray()), "screenshot", "x.png" } };
        await Pages.AssertFieldErrorAsync(await duanzhou.PostAsync(summary + "/screenshots", notAnImage), "screenshot", "");
        // The final summary's table is computed for the whole window.
        var submitted = await OkAsync(await duanzhou.PostAsJsonAsync(summary + "/submit", new { contactName = "李干事", contactPhone = "0758-2230000" }));
        Assert.Equal(4, submitted.GetProperty("table").GetProperty("activityTotal").GetProperty("personTimes").GetInt32());
        Assert.Equal(2, submitted.GetProperty("newsLinks").GetString()!.Split('\n').Length);
        Assert.Equal(HttpStatusCode.OK, (await duanzhou.GetAsync($"/campaigns/screenshots/{shotId}")).StatusCode);

        // The city freezes the package: the same records give the same bytes, so the same hash.
        using var city = await app.ApiClientAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await duanzhou.PostAsync($"/api/campaigns/{data.CampaignId}/packages", null)).StatusCode);
        var package = await OkAsync(await city.PostAsync($"/api/campaigns/{data.CampaignId}/packages", null));
        var again = await OkAsync(await city.PostAsync($"/api/campaigns/{data.CampaignId}/packages", null));
        var hash = package.GetProperty("contentHash").GetString()!;
        Assert.Equal(hash, again.GetProperty("contentHash").GetString());
        var zipBytes = await city.GetByteArrayAsync($"/api/campaigns/{data.CampaignId}/packages/{package.GetProperty("id").GetGuid()}.zip");
        Assert.Equal(hash, Convert.ToHexStringLower(SHA256.HashData(zipBytes)));
        using var zip = new ZipArchive(new MemoryStream(zipBytes));
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("01-全市汇总-统计表.xlsx", names);
        Assert.Equal(5, names.Count(n => n.StartsWith("02-第")));
        Assert.Contains(names, n => n.StartsWith("03-活动总结/") && n.EndsWith("441202/截图-01.png"));
        using var reader = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith("441202/总结.txt")).Open());
        var text = await reader.ReadToEndAsync();
        Assert.Contains("陈队长带领河小青队伍坚持巡河三年", text);
        Assert.Contains("https://mp.weixin.qq.com/s/duanzhou", text);

        // The package list shows the hash on the campaign page.
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var page = await browser.GetPageAsync($"/campaigns/{data.CampaignId}");
        Assert.Contains(hash, page.QuerySelector("#package-list")!.TextContent);
    }

    [Fact]
    public async Task TheDashboardIsOpenToEveryoneAndShowsAggregatesOnly()
    {
        var data = await CampaignData.CreateAsync(app);
        using var anonymous = app.CreateClient();
        var dashboard = await OkAsync(await anonymous.GetAsync($"/api/campaigns/{data.CampaignId}/dashboard"));
        Assert.Equal(809, dashboard.GetProperty("minutes").GetInt32());
        Assert.Equal(7, dashboard.GetProperty("personTimes").GetInt32());
        Assert.Equal([750, 59, 0, 0, 0], dashboard.GetProperty("weeks").EnumerateArray().Select(w => w.GetProperty("minutes").GetInt32()));
        var byUnit = dashboard.GetProperty("byUnit").EnumerateArray().ToDictionary(u => u.GetProperty("label").GetString()!, u => u.GetProperty("minutes").GetInt32());
        // The town's activity counts for 端州区, the unit above it.
        Assert.Equal(299, byUnit["端州区"]);
        Assert.Equal(510, byUnit["鼎湖区"]);
        Assert.Equal(809, dashboard.GetProperty("byServiceLine").EnumerateArray().Single(l => l.GetProperty("key").GetString() == "Ecology").GetProperty("minutes").GetInt32());
        var html = await anonymous.GetStringAsync($"/campaigns/{data.CampaignId}/dashboard");
        var page = new HtmlParser().ParseDocument(html);
        Assert.Equal("13.48", page.QuerySelector("#kpi-hours")!.TextContent);
        Assert.NotNull(page.QuerySelector("script[src='/lib/echarts/echarts.min.js']"));
    }
}
