using System.Net.Http.Json;
using System.Text.Json;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Campaigns;

/// <summary>
/// One definition of the reporting and on-time rates (docs/reporting.md, "Rates"): the dashboard and the
/// completeness grid agree with each other and with a count by hand, and the dashboard counts typed-in rows.
/// </summary>
public sealed class ReportingRateTests : AppTest
{
    static readonly object Contact = new { contactName = "李干事", contactPhone = "0758-2230000" };

    void At(int day, int hour) => app.Clock.Offset = new DateTimeOffset(2019, 3, day, hour, 0, 0, China) - DateTimeOffset.UtcNow;

    static (int Expected, int Reported, int OnTime) Rate(JsonElement rate) =>
        (rate.GetProperty("expected").GetInt32(), rate.GetProperty("reported").GetInt32(), rate.GetProperty("onTime").GetInt32());

    [Fact]
    public async Task TheDashboardAndTheGridShowTheSameRatesWithTheirCountsAndReturnedReportsDoNotCount()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        await app.CreateUnitAdminAsync("dinghu", "441203");
        await app.CreateUnitAdminAsync("gaoyao", "441204");
        var reports = $"/api/campaigns/{data.CampaignId}/reports";

        // Week 1 (due Friday 8 March 00:00): 端州 on time, 鼎湖 on time but returned, 高要 late; the town waived.
        At(7, 20);
        using (var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019"))
        {
            await OkAsync(await duanzhou.PostAsJsonAsync($"{reports}/441202/1/submit", Contact));
            await OkAsync(await duanzhou.PostAsJsonAsync($"{reports}/{CampaignData.Town}/1/waive", new { comment = "街道本周无活动" }));
        }
        using (var dinghu = await app.ApiClientAsync("dinghu", "Unit-admin-2019"))
        {
            await OkAsync(await dinghu.PostAsJsonAsync($"{reports}/441203/1/submit", Contact));
            // A typed-in activity of week 2 (10 hours, 4 person-times) and a typed-in media row (no hours).
            await OkAsync(await dinghu.PostAsJsonAsync($"{reports}/441203/2/typed-in-rows", new object[]
            {
                new { isMedia = false, name = "线下植树", personTimes = 4, organizations = 1, hours = 10m },
                new { isMedia = true, name = "肇庆日报报道", printReports = 1 },
            }));
        }
        At(9, 10);
        using (var gaoyao = await app.ApiClientAsync("gaoyao", "Unit-admin-2019"))
        {
            await OkAsync(await gaoyao.PostAsJsonAsync($"{reports}/441204/1/submit", Contact));
        }
        using var city = await app.ApiClientAsync();
        await OkAsync(await city.PostAsJsonAsync($"{reports}/441203/1/return", new { comment = "数据有误" }));

        // By hand: 20 expected units (the city, 18 below it, the town) in each of 5 weeks and the final summary.
        // Week 1: 19 (the town waived), reported 端州 and 高要 = 2 (鼎湖 was returned), on time 端州 = 1.
        // Overall: 19 + 4 × 20 + 20 = 119 expected, 2 reported, 1 on time.
        var grid = await OkAsync(await city.GetAsync($"/api/campaigns/{data.CampaignId}/completeness"));
        var gridRates = grid.GetProperty("rates").EnumerateArray().ToDictionary(r => r.GetProperty("periodNumber").GetInt32(), Rate);
        Assert.Equal((19, 2, 1), gridRates[1]);
        Assert.Equal((20, 0, 0), gridRates[2]);
        Assert.Equal((20, 0, 0), gridRates[0]);
        Assert.Equal((119, 2, 1), Rate(grid.GetProperty("overall")));

        using var anonymous = app.CreateClient();
        var dashboard = await OkAsync(await anonymous.GetAsync($"/api/campaigns/{data.CampaignId}/dashboard"));
        var weeks = dashboard.GetProperty("weeks").EnumerateArray().ToList();
        Assert.Equal(5, weeks.Count);
        foreach (var week in weeks)
        {
            Assert.Equal(gridRates[week.GetProperty("number").GetInt32()], Rate(week));
        }
        Assert.Equal(gridRates[0], Rate(dashboard.GetProperty("finalSummary")));
        Assert.Equal((119, 2, 1), Rate(dashboard.GetProperty("overall")));

        // Typed-in rows count on the dashboard: 809 confirmed minutes + 600 typed in; week 2 has 59 + 600; 鼎湖 510 + 600.
        Assert.Equal(1409, dashboard.GetProperty("minutes").GetInt32());
        Assert.Equal(11, dashboard.GetProperty("personTimes").GetInt32());
        Assert.Equal((600, 4), (dashboard.GetProperty("typedInMinutes").GetInt32(), dashboard.GetProperty("typedInPersonTimes").GetInt32()));
        Assert.Equal([750, 659, 0, 0, 0], weeks.Select(w => w.GetProperty("minutes").GetInt32()));
        var byUnit = dashboard.GetProperty("byUnit").EnumerateArray().ToDictionary(u => u.GetProperty("label").GetString()!, u => u.GetProperty("minutes").GetInt32());
        Assert.Equal(1110, byUnit["鼎湖区"]);
        Assert.Equal(600, dashboard.GetProperty("byServiceLine").EnumerateArray().Single(l => l.GetProperty("key").GetString() == "TypedIn").GetProperty("minutes").GetInt32());

        // Both pages show the rate with its numerator and denominator, and the dashboard says it counts typed-in rows.
        var dashboardPage = await anonymous.GetPageAsync($"/campaigns/{data.CampaignId}/dashboard");
        Assert.Equal("1.7%（2/119）", dashboardPage.QuerySelector("#kpi-rate")!.TextContent.Trim());
        Assert.Equal("23.48", dashboardPage.QuerySelector("#kpi-hours")!.TextContent.Trim());
        Assert.Contains("填报录入", dashboardPage.QuerySelector("#dashboard-notes")!.TextContent);
        Assert.Contains("10.00 小时", dashboardPage.QuerySelector("#dashboard-notes")!.TextContent);
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var gridPage = await browser.GetPageAsync($"/campaigns/{data.CampaignId}/completeness");
        Assert.Contains("1.7%（2/119）", gridPage.QuerySelector("#overall-rates")!.TextContent);
        Assert.Contains("10.5%（2/19）", gridPage.QuerySelector("#completeness tfoot")!.TextContent);
    }
}
