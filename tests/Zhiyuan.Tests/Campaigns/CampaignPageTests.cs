using AngleSharp.Html.Dom;

namespace Zhiyuan.Tests.Campaigns;

public sealed class CampaignPageTests : AppTest
{
    [Fact]
    public async Task TheCityOpensACampaignFromItsPageAndAMistakeKeepsWhatWasTyped()
    {
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var page = await browser.GetPageAsync("/campaigns");
        // The demo campaign of the notice is there from the first start.
        Assert.Contains("2019肇庆市“学雷锋全民志愿服务行动月”", page.QuerySelector("#campaign-list")!.TextContent);

        var refused = await browser.PostFormAsync("/campaigns", page, "new-campaign", ("name", "2020肇庆市学雷锋志愿服务月"), ("theme", "志愿肇庆"),
            ("startDate", "2020-03-31"), ("endDate", "2020-03-01"), ("dueDay", "Friday"), ("dueHour", "十七"), ("reportingDepth", "1"),
            ("contactName", "曾繁智"), ("contactPhone", "0758-2323563"));
        var form = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await refused.Content.ReadAsStringAsync());
        Assert.Contains("“十七”不是整数", form.QuerySelector("#new-campaign")!.TextContent);
        Assert.Equal("2020肇庆市学雷锋志愿服务月", ((IHtmlInputElement)form.QuerySelector("#campaign-name")!).Value);

        var fixedUp = await browser.PostFormAsync("/campaigns", page, "new-campaign", ("name", "2020肇庆市学雷锋志愿服务月"), ("theme", "志愿肇庆"),
            ("startDate", "2020-03-31"), ("endDate", "2020-03-01"), ("dueDay", "Friday"), ("dueHour", "17"), ("reportingDepth", "1"));
        Assert.Contains("结束日期须在开始日期之后", await fixedUp.Content.ReadAsStringAsync());

        var opened = await browser.PostFormAsync("/campaigns", page, "new-campaign", ("name", "2020肇庆市学雷锋志愿服务月"), ("theme", "志愿肇庆"),
            ("startDate", "2020-03-01"), ("endDate", "2020-03-31"), ("dueDay", "Friday"), ("dueHour", "17"), ("reportingDepth", "1"), ("finalDueDate", "2020-04-03"));
        var done = await opened.Content.ReadAsStringAsync();
        Assert.Contains("已发起“2020肇庆市学雷锋志愿服务月”：5 期，19 个应报单位", done);
        var campaignId = await app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            db.Campaigns.Where(c => c.Name == "2020肇庆市学雷锋志愿服务月").Select(c => c.Id)));
        var overview = await browser.GetPageAsync($"/campaigns/{campaignId}");
        // Friday 17:00 China time: the first week (1–5 March 2020, a Sunday start) is due on the 6th.
        Assert.Contains("2020-03-06 17:00", overview.QuerySelector("#periods")!.TextContent);
        Assert.NotNull(overview.QuerySelector("#report-1"));
    }

    [Fact]
    public async Task AUnitAdministratorSeesTheReportPageInEnglishAndOthersAreTurnedAway()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("dinghu", "441203");
        using var english = app.PageClient(language: "en");
        await english.SignInAsync("dinghu", "Unit-admin-2019");
        var page = await english.GetPageAsync($"/campaigns/{data.CampaignId}/reports/441203/1");
        Assert.Contains("Not started", page.QuerySelector("#report-status")!.TextContent);
        Assert.Contains("敬老院探访（鼎湖区义工联）", page.QuerySelector("#report-table")!.TextContent);
        Assert.Contains("Download the official form", page.QuerySelector("#download-form")!.TextContent);
        // Another county's report is not found, and so is an unknown period.
        await english.GetPageAsync($"/campaigns/{data.CampaignId}/reports/441202/1", System.Net.HttpStatusCode.NotFound);
        var period = await english.GetPageAsync($"/campaigns/{data.CampaignId}/reports/441203/9", System.Net.HttpStatusCode.BadRequest);
        Assert.Contains("This campaign has no period 9", period.Body!.TextContent);
        // A volunteer or anonymous visitor has no report pages at all.
        using var anonymous = app.PageClient();
        var response = await anonymous.GetAsync($"/campaigns/{data.CampaignId}/reports/441203/1");
        Assert.Equal(System.Net.HttpStatusCode.Redirect, response.StatusCode);
    }
}
