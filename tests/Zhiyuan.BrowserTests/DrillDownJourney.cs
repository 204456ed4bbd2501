using Zhiyuan.Tests.Campaigns;

namespace Zhiyuan.BrowserTests;

public sealed class DrillDownJourney
{
    [BrowserFact]
    public async Task TheCityClicksAFigureOfTheWeeklyTableAndSeesTheAttendancesBehindIt()
    {
        await using var browser = await Browser.StartAsync();
        var data = await CampaignData.CreateAsync(browser.App);
        var reportUrl = $"/campaigns/{data.CampaignId}/reports/441200/1";

        // The city administrator opens the first week's table on a desktop and clicks 敬老院探访's person-times, 3.
        var city = await browser.NewPageAsync(1366, 900);
        await Browser.SignInAsync(city, "admin", Zhiyuan.Tests.TestApp.AdminPassword, reportUrl);
        var row = city.Locator("#report-table tbody tr", new() { HasTextString = "敬老院探访" });
        var figure = row.Locator("td:nth-child(3) a.drill-link");
        Assert.Equal("3", (await figure.InnerTextAsync()).Trim());
        await Browser.ScreenshotAsync(city, "drill-report-zh-desktop");
        await figure.ClickAsync();
        await city.WaitForURLAsync("**/cells/*/personTimes");

        // Its three attendances, the corrected one with its confirmation, reversal and correction; names masked.
        Assert.Equal("3", (await city.InnerTextAsync("#drill-figure .drill-figure")).Trim());
        Assert.Equal(3, await city.Locator("#drill-items tbody tr").CountAsync());
        var records = await city.InnerTextAsync("#drill-items");
        Assert.Contains("撤销", records);
        Assert.Contains("更正", records);
        Assert.Contains("签退时间有误", records);
        Assert.Contains("*", records);
        await Browser.ScreenshotAsync(city, "drill-person-times-zh-desktop");

        // Back on the table, the organisations total: 3 names, and why the column adds up to 5.
        await city.ClickAsync("#drill-back");
        await city.WaitForURLAsync("**" + reportUrl);
        await city.ClickAsync("#report-total a[href$='/cells/total/organizations']");
        await city.Locator("#drill-note").WaitForAsync();
        Assert.Equal(3, await city.Locator("#drill-items tbody tr").CountAsync());
        Assert.Contains("各行相加为 5", await city.InnerTextAsync("#drill-note"));
        await Browser.ScreenshotAsync(city, "drill-organisations-zh-desktop");
    }
}
