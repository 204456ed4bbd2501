using System.Net.Http.Json;
using Zhiyuan.Tests;
using Zhiyuan.Tests.Campaigns;
using Zhiyuan.Tests.Recognition;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.BrowserTests;

public sealed class LateUnitAndHoursJourneys
{
    static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);

    [BrowserFact]
    public async Task TheCityAddsALateStreetOfficeWhichThenReportsAndADistrictWithdrawsItsSubmission()
    {
        await using var browser = await Browser.StartAsync();
        var app = browser.App;
        var data = await CampaignData.CreateAsync(app, depth: 1);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        await app.CreateUnitAdminAsync("chengdong", CampaignData.Town);
        // Saturday 9 March 2019: the first week was due yesterday.
        app.Clock.Offset = new DateTimeOffset(2019, 3, 9, 10, 0, 0, ChinaOffset) - DateTimeOffset.UtcNow;

        // The street office is below the reporting depth: it reads its own table, read only.
        var town = await browser.NewPageAsync(390, 844);
        await Browser.SignInAsync(town, "chengdong", "Unit-admin-2019", $"/campaigns/{data.CampaignId}");
        Assert.Contains("城东街道", await town.InnerTextAsync("#own-unit-hint"));
        await town.ClickAsync("#report-1");
        await town.Locator("#not-expected").WaitForAsync();
        Assert.Contains("社区普法", await town.InnerTextAsync("#report-table"));

        // The city adds it to the expected list from the campaign page.
        var city = await browser.NewPageAsync();
        await Browser.SignInAsync(city, "admin", TestApp.AdminPassword, $"/campaigns/{data.CampaignId}");
        await city.FillAsync("#add-unit-code", CampaignData.Town);
        await Browser.ScreenshotAsync(city, "campaign-add-unit-zh-desktop");
        await city.ClickAsync("#add-unit-submit");
        await city.Locator("#unit-added").WaitForAsync();
        Assert.Contains("第 2 期", await city.InnerTextAsync("#unit-added"));
        await city.GotoAsync($"/campaigns/{data.CampaignId}/completeness");
        Assert.Equal("—", (await city.InnerTextAsync($"td[data-unit='{CampaignData.Town}'][data-period='1']")).Trim());
        await Browser.ScreenshotAsync(city, "campaign-completeness-late-unit-zh-desktop");

        // 端州 submits week 2 and takes it back before the city looks at it; the city sees who to call.
        var district = await browser.NewPageAsync();
        var reportUrl = $"/campaigns/{data.CampaignId}/reports/441202/2";
        await Browser.SignInAsync(district, "duanzhou", "Unit-admin-2019", reportUrl);
        await district.FillAsync("#contact-name", "李干事");
        await district.FillAsync("#contact-phone", "0758-2230000");
        await district.ClickAsync("#submit-report");
        await district.Locator("#withdraw-report").WaitForAsync();
        await city.GotoAsync(reportUrl);
        Assert.Contains("0758-2230000", await city.InnerTextAsync("#report-contact"));
        await Browser.ScreenshotAsync(city, "campaign-report-contact-zh-desktop");
        await district.ClickAsync("#withdraw-report");
        await district.Locator("#report-done").WaitForAsync();
        Assert.Equal("草稿", await district.InnerTextAsync("#report-status"));
    }

    [BrowserFact]
    public async Task AnAdministratorOpensAVolunteerAndSeesTheirHoursRecentServiceAndOrganisations()
    {
        await using var browser = await Browser.StartAsync();
        var app = browser.App;
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var (number, client) = (await app.VolunteersAsync(1))[0];
        await app.CreditAsync(host, number, 3, DateTime.UtcNow.AddDays(-40), "西江河畔清洁行动");
        var wrong = await app.CreditAsync(host, number, 4, DateTime.UtcNow.AddDays(-20), "社区敬老");
        await OkAsync(await city.PostAsJsonAsync($"/api/hours/entries/{wrong}/correction", new { reason = "重复登记" }));
        await OkAsync(await client.PostAsync($"/api/organizations/{host}/applications", null));
        await OkAsync(await city.PostAsJsonAsync($"/api/organizations/{host}/members/{number}/decision", new { approve = true }));

        var admin = await browser.NewPageAsync();
        await Browser.SignInAsync(admin, "admin", TestApp.AdminPassword, $"/volunteers/{number}");
        Assert.Contains("3.00 小时", await admin.InnerTextAsync("#volunteer-hours .total-hours"));
        Assert.Contains("冲销", await admin.InnerTextAsync("#recent-service"));
        Assert.Contains("端州区青年志愿者协会", await admin.InnerTextAsync("#volunteer-organizations"));
        await Browser.ScreenshotAsync(admin, "volunteer-admin-hours-zh-desktop");
    }
}
