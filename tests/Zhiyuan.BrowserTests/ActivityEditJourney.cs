using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.BrowserTests;

public sealed class ActivityEditJourney
{
    [BrowserFact]
    public async Task OnAPhoneAnOrganiserMovesASessionTheVolunteerReadsWhyInTheMessagesAndAnotherMemberIsPickedAsAdministrator()
    {
        await using var browser = await Browser.StartAsync();
        var app = browser.App;
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        // 志愿者100 administers the organisation; 志愿者101 and 志愿者102 are members; 志愿者101 signs up.
        var members = await app.MembersAsync(city, host, 3);
        using var organiserApi = await app.OrganizationAdminAsync(city, host, members[0].Number);
        var activity = await PublishedAsync(city, Activity(host, InDays(3), title: "西江河畔清洁行动"));
        var id = activity.GetProperty("id").GetGuid();
        await OkAsync(await members[1].Client.SignUpAsync(SessionId(activity)));

        // The organiser, on a phone, moves the morning session to the afternoon.
        var organiser = await browser.NewPageAsync(width: 375, height: 812);
        await Browser.SignInAsync(organiser, members[0].Number, People.Password, $"/activities/{id}/manage");
        await organiser.ClickAsync("#edit-activity");
        await organiser.WaitForURLAsync($"**/activities/{id}/edit");
        Assert.Equal($"{InDays(3):yyyy-MM-dd}T09:00", await organiser.InputValueAsync("#session-0-start"));
        await organiser.FillAsync("#session-0-start", $"{InDays(3):yyyy-MM-dd}T14:00");
        await organiser.FillAsync("#session-0-end", $"{InDays(3):yyyy-MM-dd}T17:00");
        await organiser.FillAsync("#description", "改到下午，避开上午的大雨。请带好手套。");
        Assert.True(await organiser.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the edit form scrolls sideways on a phone");
        await Browser.ScreenshotAsync(organiser, "activity-edit-zh-phone");
        await organiser.ClickAsync("#save-activity");
        await organiser.WaitForURLAsync("**/manage?edited=1");
        Assert.Contains("修改已保存", await organiser.InnerTextAsync("#manage-done"));
        Assert.Contains($"{InDays(3):yyyy-MM-dd} 14:00", await organiser.InnerTextAsync("li.session"));

        // The volunteer, on a phone, sees one unread message saying what changed.
        var phone = await browser.NewPageAsync(width: 375, height: 812);
        await Browser.SignInAsync(phone, members[1].Number, People.Password, "/me");
        Assert.Equal("1", (await phone.InnerTextAsync("#unread-count")).Trim());
        await phone.GotoAsync("/messages");
        var message = phone.Locator("#messages li.unread").First;
        await message.WaitForAsync();
        Assert.Contains("活动有变动：西江河畔清洁行动", await message.Locator("button.message-title").InnerTextAsync());
        Assert.Contains($"{InDays(3):yyyy-MM-dd} 09:00–12:00 改为 {InDays(3):yyyy-MM-dd} 14:00–17:00", await message.Locator(".message-body").InnerTextAsync());
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(phone, "activity-changed-message-zh-phone");
        await message.Locator("button.message-title").ClickAsync();
        await phone.WaitForURLAsync($"**/activities/{id}");
        Assert.Contains("14:00", await phone.InnerTextAsync($"#session-{SessionId(activity)}"));

        // Back on the organiser's phone: another member is made an administrator by searching the mobile's last digits and ticking them.
        await organiser.GotoAsync($"/organizations/{host}");
        await organiser.FillAsync("#admin-number-q", "0102");
        // The script searches as one types: only 志愿者102 is left to tick.
        await organiser.Locator("#admin-number-picker li").Filter(new() { HasText = "志愿者100" }).WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Detached });
        Assert.Equal(1, await organiser.Locator("#admin-number-picker li").CountAsync());
        Assert.Contains("139****0102", await organiser.InnerTextAsync("#admin-number-picker"));
        await organiser.CheckAsync($"#admin-number-picker input[value={members[2].Number}]");
        Assert.True(await organiser.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the member picker scrolls sideways on a phone");
        await Browser.ScreenshotAsync(organiser, "member-picker-zh-phone");
        await organiser.ClickAsync("#add-admin");
        await organiser.Locator("#organization-done").WaitForAsync();
        Assert.Contains("管理员", await organiser.InnerTextAsync("#member-list"));
        Assert.Equal(2, await app.WithDbAsync(db => db.OrganizationAdmins.CountAsync(a => a.OrganizationId == host)));
    }
}
