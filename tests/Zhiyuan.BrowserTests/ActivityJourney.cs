using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Zhiyuan.Tests.Volunteers;

namespace Zhiyuan.BrowserTests;

public sealed class ActivityJourney
{
    static readonly TimeSpan China = TimeSpan.FromHours(8);

    [BrowserFact]
    public async Task AnOrganisationPublishesAVolunteerSignsUpOnAPhoneChecksInAndOutByQrAndSeesTheConfirmedHours()
    {
        await using var browser = await Browser.StartAsync();
        var app = browser.App;
        // 端州区青年志愿者协会, administered by its volunteer 陈队长 (ZY00000001); and a volunteer, 林小雨 (ZY00000002).
        using var city = await app.ApiClientAsync();
        var organization = await (await city.PostAsJsonAsync("/api/organizations", new { name = "端州区青年志愿者协会", unitCode = "441202" })).Content.ReadFromJsonAsync<JsonElement>();
        var organizationId = organization.GetProperty("id").GetString();
        await app.RegisterAsync("陈队长", People.ResidentId(1985, 11), "13600000001");
        using (var leaderApi = await app.ApiClientAsync("13600000001", People.Password))
        {
            await leaderApi.PostAsync($"/api/organizations/{organizationId}/applications", null);
        }
        await city.PostAsJsonAsync($"/api/organizations/{organizationId}/members/ZY00000001/decision", new { approve = true });
        await city.PostAsJsonAsync($"/api/organizations/{organizationId}/admins", new { volunteerNumber = "ZY00000001" });
        await app.RegisterAsync("林小雨", People.ResidentId(2000, 124), "13912345678");

        // The organisation's administrator publishes an activity on a desktop.
        var organiser = await browser.NewPageAsync();
        await SignInAsync(organiser, "ZY00000001");
        await organiser.GotoAsync("/activities/new");
        var start = DateTime.UtcNow.Add(China).Date.AddDays(1).AddHours(9);
        await organiser.FillAsync("#title", "西江河畔清洁行动");
        await organiser.FillAsync("#description", "清理河岸垃圾，宣传垃圾分类");
        await organiser.SelectOptionAsync("#service-line", "Ecology");
        await organiser.CheckAsync("#population-EmptyNestElderly");
        await organiser.FillAsync("#address", "肇庆市端州区西江南路");
        await organiser.FillAsync("#session-0-start", start.ToString("yyyy-MM-ddTHH:mm"));
        await organiser.FillAsync("#session-0-end", start.AddHours(3).ToString("yyyy-MM-ddTHH:mm"));
        // A typo first: the capacity must be a whole number, and the form keeps everything else.
        await organiser.FillAsync("#session-0-capacity", "十");
        await organiser.FillAsync("#responsible", "陈队长");
        await organiser.ClickAsync("#create-activity");
        await organiser.Locator(".field-error[data-field='sessions[0].capacity']").WaitForAsync();
        Assert.Equal("西江河畔清洁行动", await organiser.InputValueAsync("#title"));
        await organiser.FillAsync("#session-0-capacity", "10");
        await Browser.ScreenshotAsync(organiser, "activity-new-zh-desktop");
        await organiser.ClickAsync("#create-activity");
        await organiser.WaitForURLAsync("**/manage?created=1");
        await organiser.ClickAsync("#publish");
        await organiser.Locator("#manage-done").WaitForAsync();
        Assert.Equal("招募中", await organiser.InnerTextAsync("#manage-status"));
        var activityUrl = organiser.Url.Replace("/manage?created=1", "");

        // A volunteer finds it on a phone without signing in, signs in from the activity, and signs up.
        var phone = await browser.NewPageAsync(width: 375, height: 812);
        await phone.GotoAsync("/activities");
        await phone.ClickAsync("#activity-list >> text=西江河畔清洁行动");
        await phone.WaitForURLAsync(activityUrl);
        await Browser.ScreenshotAsync(phone, "activity-detail-anonymous-zh-phone");
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"),
            await phone.EvaluateAsync<string>("[...document.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > window.innerWidth).map(e => e.tagName + '.' + e.className + '#' + e.id + ':' + e.getBoundingClientRect().right).join(' ')"));
        await phone.ClickAsync("text=登录后报名");
        await phone.FillAsync("#userName", "13912345678");
        await phone.FillAsync("#password", People.Password);
        await phone.ClickAsync("#sign-in");
        await phone.WaitForURLAsync(activityUrl);
        await phone.ClickAsync("#session-list button.primary");
        await phone.Locator("#signup-done").WaitForAsync();
        Assert.Contains("报名成功", await phone.InnerTextAsync("#signup-done"));
        Assert.Equal("已录取", await phone.InnerTextAsync(".my-signup"));
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(phone, "activity-signed-up-zh-phone");

        // The day comes: a minute after the start the leader shows the QR; the phone's camera reads it and opens the link.
        app.Clock.Offset = new DateTimeOffset(DateTime.SpecifyKind(start.AddMinutes(1), DateTimeKind.Unspecified), China) - DateTimeOffset.UtcNow;
        // A day later both have to sign in again (sessions last eight hours); the phone is asked on the way.
        await SignInAsync(organiser, "ZY00000001");
        await organiser.GotoAsync(activityUrl + "/manage");
        await organiser.ClickAsync("a[id^='leader-']");
        var qrUrl = await ReadQrAsync(organiser);
        await Browser.ScreenshotAsync(organiser, "leader-qr-zh-desktop");
        Assert.Contains("/attend/", qrUrl);
        await phone.GotoAsync(qrUrl);
        await phone.FillAsync("#userName", "13912345678");
        await phone.FillAsync("#password", People.Password);
        await phone.ClickAsync("#sign-in");
        await phone.WaitForURLAsync(qrUrl);
        await phone.ClickAsync("#attend-confirm");
        await phone.Locator("#attend-done").WaitForAsync();
        Assert.Contains("签到成功", await phone.InnerTextAsync("#attend-done"));
        await Browser.ScreenshotAsync(phone, "checked-in-zh-phone");

        // At the end the old code has long expired; the current one checks out.
        app.Clock.Advance(TimeSpan.FromHours(3));
        await organiser.ReloadAsync();
        var outUrl = await ReadQrAsync(organiser);
        Assert.NotEqual(qrUrl, outUrl);
        await phone.GotoAsync(qrUrl);
        Assert.Contains("过期", await phone.InnerTextAsync("#attend-problem")); // three hours old
        await phone.GotoAsync(outUrl);
        await phone.ClickAsync("#attend-confirm");
        await phone.Locator("#attend-done").WaitForAsync();
        Assert.Contains("签退成功", await phone.InnerTextAsync("#attend-done"));

        // The organisation confirms; the volunteer sees the hours in the service record.
        await organiser.GotoAsync(activityUrl + "/manage");
        await organiser.ClickAsync("button[id^='confirm-']");
        await organiser.Locator("#manage-done").WaitForAsync();
        Assert.Contains("已确认 1 人", await organiser.InnerTextAsync("#manage-done"));
        await Browser.ScreenshotAsync(organiser, "activity-manage-zh-desktop");

        await phone.GotoAsync("/me");
        await phone.ClickAsync("#record-link");
        await phone.WaitForURLAsync("**/me/record");
        // Checked in a little after 09:01, out after 12:00: the minutes served inside 09:00–12:00, whole minutes only.
        var minutes = await app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SumAsync(db.LedgerEntries, e => e.Minutes));
        Assert.InRange(minutes, 175, 179);
        Assert.Contains(Zhiyuan.Web.Hours.HourUseCases.FormatHours(minutes), await phone.InnerTextAsync("#record-total"));
        Assert.Contains("西江河畔清洁行动", await phone.InnerTextAsync("#record-lines"));
        Assert.Contains("陈队长", await phone.InnerTextAsync("#record-lines"));
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(phone, "service-record-zh-phone");
        var download = await phone.RunAndWaitForDownloadAsync(() => phone.ClickAsync("#record-download"));
        Assert.Contains("西江河畔清洁行动", await File.ReadAllTextAsync(await download.PathAsync()));

        // The public list in English on a desktop, filtered by line.
        var english = await browser.NewPageAsync(locale: "en");
        await english.GotoAsync("/activities?line=Ecology");
        Assert.Contains("西江河畔清洁行动", await english.InnerTextAsync("#activity-list"));
        Assert.Contains("Recruiting", await english.InnerTextAsync("#activity-list"));
        await Browser.ScreenshotAsync(english, "activities-en-desktop");
    }

    static async Task SignInAsync(IPage page, string userName)
    {
        await page.GotoAsync("/account/sign-in");
        await page.FillAsync("#userName", userName);
        await page.FillAsync("#password", People.Password);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync("**/workbench");
    }

    static async Task<string> ReadQrAsync(IPage leader)
    {
        await leader.Locator("#checkin-qr").WaitForAsync();
        return await Browser.ReadQrCodeAsync(leader.Locator("#checkin-qr"));
    }
}
