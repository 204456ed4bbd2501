using System.Net.Http.Json;
using Microsoft.Playwright;
using Zhiyuan.Tests.Campaigns;
using Zhiyuan.Tests.ServicePosts;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.BrowserTests;

/// <summary>
/// Every public page passes axe-core with no serious or critical violation, on a desktop and on a phone;
/// 长辈模式 (large text, high contrast) is switched on in the footer, makes the text bigger and is remembered.
/// </summary>
public sealed class AccessibilityJourney
{
    [BrowserFact]
    public async Task EveryPublicPagePassesAxeAndElderModeEnlargesTheTextAndIsRemembered()
    {
        await using var browser = await Browser.StartAsync();
        var app = browser.App;
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var activity = await PublishedAsync(city, Activity(host, InDays(5)));
        var members = await app.MembersAsync(city, host, 1);
        using var orgAdmin = await app.OrganizationAdminAsync(city, host, members[0].Number);
        var menuId = await OrderScenario.MenuAsync(orgAdmin, host);
        using var citizen = app.CreateClient();
        var order = await app.PlaceAsync(citizen, OrderScenario.Order(menuId, "13702260009"));
        var tracking = new Uri(order.GetProperty("trackingLink").GetString()!, UriKind.RelativeOrAbsolute);
        var trackingPath = tracking.IsAbsoluteUri ? tracking.PathAndQuery : tracking.OriginalString;
        var campaignId = await CampaignData.OpenAsync(city);

        string[] pages =
        [
            "/", "/activities", "/activities/" + activity.GetProperty("id").GetGuid(), "/services", "/services/" + menuId, trackingPath,
            $"/campaigns/{campaignId}/dashboard", "/honour", "/verify", "/verify?code=BAD", "/account/sign-in", "/volunteers/register",
            // A mistyped link: the page that says what is wrong (InputRules).
            "/activities?page=abc",
        ];
        foreach (var (width, height, device) in new[] { (1366, 900, "desktop"), (375, 812, "phone") })
        {
            var page = await browser.NewPageAsync(width, height);
            foreach (var url in pages)
            {
                await page.GotoAsync(url);
                await Browser.AssertAccessibleAsync(page, $"{url} on a {device}");
                Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), $"{url} scrolls sideways on a {device}");
            }
            Assert.Contains("abc", await page.InnerTextAsync("#bad-address-reason"));
            await Browser.ScreenshotAsync(page, $"bad-address-zh-{device}");
            await page.Context.CloseAsync();
        }

        // 长辈模式 from the footer: bigger text at once, still on after moving to another page and after a reload.
        var elder = await browser.NewPageAsync(375, 812);
        await elder.GotoAsync("/activities");
        var before = await FontSizeAsync(elder);
        await elder.ClickAsync("footer #elder-mode");
        Assert.Equal("true", await elder.GetAttributeAsync("#elder-mode", "aria-pressed"));
        Assert.True(await FontSizeAsync(elder) >= before * 1.2, "长辈模式 makes the text larger");
        await Browser.ScreenshotAsync(elder, "elder-mode-activities-zh-phone");
        await elder.GotoAsync("/services/" + menuId);
        Assert.True(await FontSizeAsync(elder) >= before * 1.2, "长辈模式 is remembered on the next page");
        await Browser.AssertAccessibleAsync(elder, "the order form in 长辈模式");
        Assert.True(await elder.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "长辈模式 scrolls sideways on a phone");
        await Browser.ScreenshotAsync(elder, "elder-mode-order-form-zh-phone");
        await elder.ClickAsync("footer #elder-mode");
        Assert.Equal(before, await FontSizeAsync(elder));

        // Screenshots of the public pages at both sizes, to look at.
        var desktop = await browser.NewPageAsync(1366, 900);
        await desktop.GotoAsync("/activities/" + activity.GetProperty("id").GetGuid());
        await Browser.ScreenshotAsync(desktop, "a11y-activity-zh-desktop");
        await desktop.GotoAsync("/verify?code=BAD");
        await Browser.ScreenshotAsync(desktop, "a11y-verify-bad-zh-desktop");
        await desktop.GotoAsync("/account/sign-in");
        await Browser.ScreenshotAsync(desktop, "a11y-sign-in-zh-desktop");
    }

    static Task<double> FontSizeAsync(IPage page) =>
        page.EvaluateAsync<double>("parseFloat(getComputedStyle(document.querySelector('main')).fontSize)");
}
