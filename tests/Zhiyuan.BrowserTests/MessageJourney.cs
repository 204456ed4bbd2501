using System.Net.Http.Json;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.BrowserTests;

public sealed class MessageJourney
{
    [BrowserFact]
    public async Task AVolunteerSeesTheUnreadCountOnAPhoneOpensTheMessageOfAFreedPlaceAndMarksTheRestRead()
    {
        await using var browser = await Browser.StartAsync();
        var app = browser.App;
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var full = await PublishedAsync(city, Activity(host, InDays(3), capacity: 1, title: "西江河畔清洁行动"));
        var reviewed = await PublishedAsync(city, Activity(host, InDays(4), capacity: 5, title: "敬老院探访") with { ReviewSignUps = true });
        var v = await app.VolunteersAsync(2);
        await OkAsync(await v[0].Client.SignUpAsync(SessionId(full)));
        await OkAsync(await v[1].Client.SignUpAsync(SessionId(full)));
        await OkAsync(await v[1].Client.SignUpAsync(SessionId(reviewed)));
        // The organisation turns one sign-up down; the first volunteer gives up the place the second was waiting for.
        await OkAsync(await city.PostAsJsonAsync($"/api/sessions/{SessionId(reviewed)}/signups/{v[1].Number}/decision", new { approve = false, reason = "本场需要有护理经验的志愿者" }));
        await OkAsync(await v[0].Client.DeleteAsync($"/api/sessions/{SessionId(full)}/signups/me"));

        var phone = await browser.NewPageAsync(width: 375, height: 812);
        await Browser.SignInAsync(phone, v[1].Number, People.Password, "/me");
        Assert.Equal("2", (await phone.InnerTextAsync("#unread-count")).Trim());
        await phone.ClickAsync("#nav-messages");
        await phone.WaitForURLAsync("**/messages");
        // (The link is followed by Blazor's enhanced navigation: the list is patched in after the address changes.)
        await phone.Locator("#messages li.message").First.WaitForAsync();
        Assert.Equal(2, await phone.Locator("#messages li.unread").CountAsync());
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(phone, "messages-unread-zh-phone");

        // The newest first: the freed place. Opening it goes to the activity, where the place is now theirs.
        await phone.ClickAsync("#messages li.unread >> nth=0 >> button.message-title");
        await phone.WaitForURLAsync($"**/activities/{full.GetProperty("id").GetGuid()}");
        Assert.Equal("已录取", (await phone.InnerTextAsync(".my-signup")).Trim());
        Assert.Equal("1", (await phone.InnerTextAsync("#unread-count")).Trim());

        await phone.GotoAsync("/messages");
        await phone.Locator("#messages li.message").First.WaitForAsync();
        Assert.Equal(1, await phone.Locator("#messages li.unread").CountAsync());
        await phone.ClickAsync("#read-all");
        await phone.Locator("#messages-marked").WaitForAsync();
        Assert.Equal(0, await phone.Locator("#unread-count").CountAsync());
        Assert.Equal(0, await phone.Locator("#messages li.unread").CountAsync());
        await Browser.ScreenshotAsync(phone, "messages-read-zh-phone");
    }
}
