using System.Collections.Concurrent;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Zhiyuan.Tests.Activities;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.BrowserTests;

public sealed class WalkInJourney
{
    [BrowserFact]
    public async Task OnThePhoneTheLeaderAddsAWalkInByPhotographingTheCertificateRegistersANewcomerAndLaterConfirmsTheChosen()
    {
        await using var browser = await Browser.StartAsync();
        var app = browser.App;
        using var city = await app.ApiClientAsync();
        var start = InDays(1, 9);
        var activity = await PublishedAsync(city, Activity(await OrganizationAsync(city), start, capacity: 1, hours: 3));
        var session = SessionId(activity);
        var v = await app.VolunteersAsync(2);
        await OkAsync(await v[0].Client.SignUpAsync(session)); // the one place
        var verifyPath = (await OkAsync(await v[1].Client.GetAsync("/api/volunteers/me/certificate"))).GetProperty("verifyPath").GetString();

        var violations = new ConcurrentQueue<string>();
        var phone = await browser.NewPageAsync(width: 375, height: 812);
        phone.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || message.Text.Contains("Refused to", StringComparison.Ordinal))
            {
                violations.Enqueue($"{phone.Url}: {message.Text}");
            }
        };

        // On the morning of the session the leader opens the walk-in page on a phone and photographs the certificate:
        // choosing the photo sends it at once (walkin.js), and the page says who was added.
        app.Clock.Offset = start.AddMinutes(20) - DateTimeOffset.UtcNow;
        await Browser.SignInAsync(phone, "admin", Zhiyuan.Tests.TestApp.AdminPassword, $"/sessions/{session}/walk-ins");
        Assert.Equal("environment", await phone.GetAttributeAsync("#walk-in-photo", "capture"));
        await phone.SetInputFilesAsync("#walk-in-photo", new FilePayload
        {
            Name = "IMG_0001.jpg", MimeType = "image/jpeg", Buffer = CertificatePhotos.Photo(browser.BaseAddress + verifyPath),
        });
        await phone.Locator("#walk-in-done").WaitForAsync();
        Assert.Contains("现场加入本时段", await phone.InnerTextAsync("#walk-in-done"));
        Assert.Contains("现场加入", await phone.InnerTextAsync($"#walk-in-{v[1].Number}"));
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(phone, "walk-in-zh-phone");

        // A newcomer is registered on the spot.
        await phone.ClickAsync("#walk-in-register");
        await phone.FillAsync("#name", "周敏");
        await phone.FillAsync("#documentNumber", People.ResidentId(1991, 415));
        await phone.FillAsync("#mobile", "13600000414");
        await Browser.ScreenshotAsync(phone, "walk-in-register-zh-phone");
        await phone.ClickAsync("#walk-in-register-submit");
        await phone.Locator("#walk-in-done").WaitForAsync();
        Assert.Contains("已为 周敏 现场注册", await phone.InnerTextAsync("#walk-in-done"));

        // After the session the organisation confirms the chosen attendance on a desktop and marks the no-show absent.
        app.Clock.Offset = start.AddHours(4) - DateTimeOffset.UtcNow;
        var desktop = await browser.NewPageAsync();
        var manage = $"/activities/{activity.GetProperty("id").GetGuid()}/manage";
        await Browser.SignInAsync(desktop, "admin", Zhiyuan.Tests.TestApp.AdminPassword, manage);
        var ids = await app.WithDbAsync(db => db.SignUps.Where(s => s.SessionId == session).Select(s => new { s.Volunteer!.Number, s.Id }).ToDictionaryAsync(s => s.Number, s => s.Id));
        await desktop.CheckAsync($"#choose-{ids[v[1].Number]}");
        await desktop.ClickAsync($"#partial-confirm-{session}");
        await desktop.Locator("#manage-done").WaitForAsync();
        Assert.Contains("已确认 1 人", await desktop.InnerTextAsync("#manage-done"));
        await desktop.CheckAsync($"#choose-{ids[v[0].Number]}");
        await desktop.FillAsync($"#absence-reason-{session}", "未到场");
        await desktop.PressAsync($"#absence-reason-{session}", "Enter"); // Enter in the reason field marks absent, nothing else
        await desktop.Locator($"#undo-{ids[v[0].Number]}").WaitForAsync();
        Assert.Contains("缺席：未到场", await desktop.InnerTextAsync($"#attendance-{ids[v[0].Number]}"));
        await Browser.ScreenshotAsync(desktop, "attendance-partial-confirmation-zh-desktop");
        Assert.Equal(1, await app.WithDbAsync(db => db.LedgerEntries.CountAsync(e => e.SessionId == session)));

        var seen = violations.ToList();
        Assert.True(seen.Count == 0, string.Join("\n", seen));
    }
}
