using Microsoft.Playwright;
using MiniExcelLibs;
using Zhiyuan.Tests.Campaigns;

namespace Zhiyuan.BrowserTests;

public sealed class CampaignReportJourney
{
    static readonly TimeSpan China = TimeSpan.FromHours(8);

    [BrowserFact]
    public async Task AUnitSubmitsTheWeeklyTableTheCityReturnsItTheUnitResubmitsAndTheCityApprovesOnTime()
    {
        await using var browser = await Browser.StartAsync();
        var app = browser.App;
        var data = await CampaignData.CreateAsync(app, depth: 1);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        // Thursday 7 March 2019, 20:00: the first week's table is due at midnight.
        app.Clock.Offset = new DateTimeOffset(2019, 3, 7, 20, 0, 0, China) - DateTimeOffset.UtcNow;
        var reportUrl = $"/campaigns/{data.CampaignId}/reports/441202/1";

        // 端州区's administrator opens this week's table from the campaign page: computed from the records already.
        var unit = await browser.NewPageAsync();
        await Browser.SignInAsync(unit, "duanzhou", "Unit-admin-2019", $"/campaigns/{data.CampaignId}");
        await unit.ClickAsync("#report-1");
        await unit.WaitForURLAsync("**" + reportUrl);
        Assert.Contains("社区普法（城东街道志愿服务队）", await unit.InnerTextAsync("#report-table"));
        Assert.Equal("未开始", await unit.InnerTextAsync("#report-status"));

        // A typed-in row for an activity run outside the platform; a typo first, and the form keeps what was typed.
        await unit.FillAsync("#row-name", "线下植树（端州区团委）");
        await unit.FillAsync("#row-person-times", "四十");
        await unit.FillAsync("#row-organizations", "2");
        await unit.FillAsync("#row-hours", "80");
        await unit.FillAsync("#row-money", "500");
        await unit.ClickAsync("#add-activity-row");
        await unit.Locator(".field-error[data-field='personTimes']").WaitForAsync();
        Assert.Equal("线下植树（端州区团委）", await unit.InputValueAsync("#row-name"));
        await unit.FillAsync("#row-person-times", "40");
        await unit.ClickAsync("#add-activity-row");
        await unit.Locator("#report-done").WaitForAsync();
        Assert.Contains("填报录入", await unit.InnerTextAsync("#report-table tr.typed-in"));
        Assert.Equal("43", await unit.InnerTextAsync("#report-total th:nth-child(3)"));
        await unit.FillAsync("#contact-name", "李干事");
        await unit.FillAsync("#contact-phone", "0758-2230000");
        await Browser.ScreenshotAsync(unit, "campaign-report-draft-zh-desktop");
        await unit.ClickAsync("#submit-report");
        await unit.Locator("#frozen-note").WaitForAsync();
        Assert.Equal("已提交", await unit.InnerTextAsync("#report-status"));

        // The city administrator sees it in the grid, opens it and returns it with a comment.
        var city = await browser.NewPageAsync();
        await Browser.SignInAsync(city, "admin", Zhiyuan.Tests.TestApp.AdminPassword, $"/campaigns/{data.CampaignId}/completeness");
        Assert.Contains("已提交 · 按时", await city.InnerTextAsync("td[data-unit='441202'][data-period='1']"));
        await city.ClickAsync("td[data-unit='441202'][data-period='1'] a");
        await city.WaitForURLAsync("**" + reportUrl);
        await city.FillAsync("#review-comment-input", "请补充媒体宣传情况");
        await city.ClickAsync("#return-report");
        await city.Locator("#report-done").WaitForAsync();
        Assert.Equal("已退回", await city.InnerTextAsync("#report-status"));

        // The unit reads the comment, adds the media row and resubmits.
        await unit.GotoAsync(reportUrl);
        Assert.Contains("请补充媒体宣传情况", await unit.InnerTextAsync("#review-comment"));
        await unit.FillAsync("#media-name", "线下植树（端州区团委）");
        await unit.FillAsync("#media-print", "1");
        await unit.FillAsync("#media-links", "https://mp.weixin.qq.com/s/zhishu");
        await unit.FillAsync("#media-reads", "2300");
        await unit.ClickAsync("#add-media-row");
        await unit.Locator("#report-done").WaitForAsync();
        await unit.ClickAsync("#submit-report");
        await unit.Locator("#frozen-note").WaitForAsync();
        Assert.Equal("已提交", await unit.InnerTextAsync("#report-status"));

        // The city approves; the grid shows it approved and on time.
        await city.GotoAsync(reportUrl);
        await city.ClickAsync("#approve-report");
        await city.Locator("#report-done").WaitForAsync();
        Assert.Equal("已通过", await city.InnerTextAsync("#report-status"));
        await city.GotoAsync($"/campaigns/{data.CampaignId}/completeness");
        Assert.Equal("已通过 · 按时", (await city.InnerTextAsync("td[data-unit='441202'][data-period='1']")).Trim());
        await Browser.ScreenshotAsync(city, "campaign-completeness-zh-desktop");

        // The report page at 1280 × 900: both statistics tables fit their box, no sideways scrolling, every column in view.
        var wide = await browser.NewPageAsync(width: 1280, height: 900);
        await Browser.SignInAsync(wide, "admin", Zhiyuan.Tests.TestApp.AdminPassword, reportUrl);
        foreach (var table in new[] { "#report-table", "#media-table" })
        {
            var (scrollWidth, boxWidth) = (await wide.EvalOnSelectorAsync<int>(table, "t => t.scrollWidth"), await wide.EvalOnSelectorAsync<int>(table, "t => t.parentElement.clientWidth"));
            Assert.True(scrollWidth <= boxWidth, $"{table} is {scrollWidth} px wide in a {boxWidth} px box");
        }
        foreach (var heading in new[] { "服务人次", "累计志愿服务时数", "投入资金及物料", "阅读数" })
        {
            Assert.True(await wide.Locator($".report-tables th:has-text('{heading}')").First.IsVisibleAsync(), heading);
            var right = await wide.Locator($".report-tables th:has-text('{heading}')").First.EvaluateAsync<double>("th => th.getBoundingClientRect().right");
            Assert.True(right <= 1280, $"{heading} is off screen ({right} px)");
        }
        await Browser.ScreenshotAsync(wide, "campaign-report-zh-1280");
        // On a phone each row is a card: its figures stay together, nothing scrolls sideways.
        var phoneReport = await browser.NewPageAsync(width: 375, height: 812);
        await Browser.SignInAsync(phoneReport, "admin", Zhiyuan.Tests.TestApp.AdminPassword, reportUrl);
        Assert.True(await phoneReport.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the report page scrolls sideways on a phone");
        Assert.Equal("block", await phoneReport.EvalOnSelectorAsync<string>("#report-table tbody tr", "tr => getComputedStyle(tr).display"));
        await Browser.ScreenshotAsync(phoneReport, "campaign-report-zh-phone");

        // The official form downloads and reads back: title, the unit, the typed-in row marked, the totals.
        await city.GotoAsync(reportUrl);
        var download = await city.RunAndWaitForDownloadAsync(() => city.ClickAsync("#download-form"));
        var file = Path.Combine(Path.GetTempPath(), $"form-{Guid.NewGuid():N}.xlsx");
        await download.SaveAsAsync(file);
        try
        {
            var cells = MiniExcel.Query(file, useHeaderRow: false).Cast<IDictionary<string, object?>>()
                .SelectMany(r => r.Values).Select(v => v?.ToString() ?? "").ToList();
            Assert.Contains(cells, c => c.StartsWith("测试行动月") && c.EndsWith("统计表"));
            Assert.Contains("填报单位（盖章）：端州区", cells);
            Assert.Contains("线下植树（端州区团委）（填报录入）", cells);
            Assert.Contains("43", cells);
            Assert.Contains(cells, c => c.Contains("联系人") && c.Contains("李干事"));
        }
        finally
        {
            File.Delete(file);
        }

        // The dashboard, on a big screen and on a phone.
        var screen = await browser.NewPageAsync(width: 1600, height: 900);
        await screen.GotoAsync($"/campaigns/{data.CampaignId}/dashboard");
        await screen.Locator("#chart-weeks canvas").WaitForAsync();
        await Browser.ScreenshotAsync(screen, "campaign-dashboard-zh-screen");
        var phone = await browser.NewPageAsync(width: 375, height: 812);
        await phone.GotoAsync($"/campaigns/{data.CampaignId}/dashboard");
        await phone.Locator("#chart-units canvas").WaitForAsync();
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(phone, "campaign-dashboard-zh-phone");
    }
}
