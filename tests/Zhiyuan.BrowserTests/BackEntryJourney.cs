using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Zhiyuan.Tests.BackEntries;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.BrowserTests;

public sealed class BackEntryJourney
{
    [BrowserFact]
    public async Task OnAPhoneAnOrganisationBackEntersLastWeeksCleanUpTheUnitApprovesAndTheRecordAndWeeksTableShowTheHoursMarked()
    {
        await using var browser = await Browser.StartAsync();
        var app = browser.App;
        static DateOnly ChinaDate(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime.AddHours(8));
        var s = await BackEntryScenario.CreateAsync(app);
        using var city = await app.ApiClientAsync();
        var today = ChinaDate(DateTimeOffset.UtcNow);
        var campaign = await OkAsync(await city.PostAsJsonAsync("/api/campaigns", new
        {
            name = "补录检验行动月", theme = "志愿肇庆 美好生活", startDate = today.AddDays(-20), endDate = today.AddDays(3), dueDay = "Friday", dueHour = 0,
            finalDueDate = today.AddDays(10), reportingDepth = 1, contactName = "曾繁智", contactPhone = "0758-2323563",
        }));
        var sessionDate = ChinaDate(s.Start);
        var period = campaign.GetProperty("periods").EnumerateArray().Single(p =>
            DateOnly.Parse(p.GetProperty("startDate").GetString()!) <= sessionDate && sessionDate <= DateOnly.Parse(p.GetProperty("endDate").GetString()!)).GetProperty("number").GetInt32();
        var date = sessionDate.ToString("yyyy-MM-dd");

        // The organisation's administrator enters last week's clean-up on a phone: the session, and the three
        // volunteers as lines — one with check-in and check-out, one by mobile with two hours, one for the whole session.
        var organiser = await browser.NewPageAsync(width: 375, height: 812);
        await Browser.SignInAsync(organiser, s.OrganizationAdminNumber, People.Password, "/activities/back-entries/new");
        await organiser.FillAsync("#title", "西江河畔清洁");
        await organiser.FillAsync("#description", "清理河岸垃圾");
        await organiser.SelectOptionAsync("#service-line", "Ecology");
        await organiser.CheckAsync("#population-EmptyNestElderly");
        await organiser.FillAsync("#address", "肇庆市端州区西江南路");
        await organiser.FillAsync("#responsible", "陈队长");
        await organiser.FillAsync("#session-0-date", date);
        await organiser.FillAsync("#session-0-start", "09:00");
        await organiser.FillAsync("#session-0-end", "12:00");
        await organiser.FillAsync("#attendance",
            $"{s.Volunteers[0].Number}, {date}, 09:00, 12:00\n{s.Volunteers[1].Mobile} {date} 2\n{s.Volunteers[2].Number} {date}");
        await Browser.ScreenshotAsync(organiser, "back-entry-form-zh-phone");
        await organiser.ClickAsync("#save-and-submit");
        await organiser.Locator("#back-entry-done").WaitForAsync();
        Assert.Contains("已提交审核", await organiser.InnerTextAsync("#back-entry-done"));
        Assert.Contains("3 人次", await organiser.InnerTextAsync("#back-entry-total"));
        Assert.Equal(0, await organiser.Locator("#approve-back-entry").CountAsync()); // the organisation cannot approve its own entry
        Assert.True(await organiser.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(organiser, "back-entry-submitted-zh-phone");
        Assert.Equal(0, await app.WithDbAsync(db => db.LedgerEntries.CountAsync()));

        // 端州's administrator finds it in the review list on a phone and approves it.
        var unit = await browser.NewPageAsync(width: 375, height: 812);
        await Browser.SignInAsync(unit, "duanzhou", BackEntryScenario.UnitAdminPassword, "/activities/back-entries/review");
        await unit.ClickAsync("#review-queue a:has-text('西江河畔清洁')");
        await unit.Locator("#back-entry-summary").WaitForAsync();
        Assert.Contains(s.Volunteers[2].Number, await unit.InnerTextAsync("#back-entry-summary")); // the reviewer sees who and how long
        await unit.ClickAsync("#approve-back-entry");
        await unit.Locator("#back-entry-done").WaitForAsync();
        Assert.Contains("3 人", await unit.InnerTextAsync("#back-entry-done"));
        Assert.True(await unit.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(unit, "back-entry-approved-zh-phone");

        // The volunteer entered by mobile sees two hours marked 补录 in the service record.
        var volunteer = await browser.NewPageAsync(width: 375, height: 812);
        await Browser.SignInAsync(volunteer, s.Volunteers[1].Number, People.Password, "/me/record");
        var line = volunteer.Locator("#record-lines li", new() { HasText = "西江河畔清洁" });
        Assert.Contains("补录", await line.InnerTextAsync());
        Assert.Matches(@"^2(\.0+)? 小时$", (await line.Locator(".record-hours").InnerTextAsync()).Trim());
        await Browser.ScreenshotAsync(volunteer, "back-entry-record-zh-phone");

        // The week's table of 端州 shows the row marked 补录 with its 3 person-times.
        await Browser.SignInAsync(unit, "duanzhou", BackEntryScenario.UnitAdminPassword, $"/campaigns/{campaign.GetProperty("id").GetGuid()}/reports/441202/{period}");
        var row = unit.Locator("#report-table tr.back-entry");
        Assert.Contains("西江河畔清洁", await row.InnerTextAsync());
        Assert.Contains("补录", await row.InnerTextAsync());
        await Browser.ScreenshotAsync(unit, "back-entry-weekly-table-zh-phone");
        Assert.Equal(480, await app.WithDbAsync(db => db.LedgerEntries.Where(e => e.IsBackEntry).SumAsync(e => e.Minutes)));
    }
}
