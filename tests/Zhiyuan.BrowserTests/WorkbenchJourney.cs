using Microsoft.Playwright;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Tests.Workbench;

namespace Zhiyuan.BrowserTests;

/// <summary>
/// Every role signs in and lands on its workbench, on a phone (375 × 812) and a desktop (1366 × 900):
/// the header is one line high on the phone, with the menu behind one button; nothing scrolls sideways.
/// One browser, one context per role, resized between the two screens.
/// </summary>
public sealed class WorkbenchJourney
{
    const int OneLine = 64;

    [BrowserFact]
    public async Task EveryRoleLandsOnItsWorkbenchOnAPhoneAndADesktop()
    {
        await using var browser = await Browser.StartAsync();
        var cast = await WorkbenchScenario.CreateAsync(browser.App);

        var anonymous = await browser.NewPageAsync(375, 812);
        await anonymous.GotoAsync("/");
        await CheckPhoneHeaderAsync(anonymous, "home-anonymous");
        await anonymous.SetViewportSizeAsync(1366, 900);
        await FitsAsync(anonymous, "workbench-anonymous-desktop");
        Assert.Equal(0, await anonymous.Locator("header a[href='/api/reference']").CountAsync());
        Assert.Equal(1, await anonymous.Locator("footer a[href='/api/reference']").CountAsync());

        foreach (var (role, userName, password) in new[]
        {
            ("volunteer", cast.Volunteer, People.Password),
            ("organization", cast.OrganizationAdmin, People.Password),
            ("liaison", "jiaojing", WorkbenchScenario.LiaisonPassword),
            ("district", "duanzhou", WorkbenchScenario.UnitAdminPassword),
            ("city", "admin", Zhiyuan.Tests.TestApp.AdminPassword),
        })
        {
            var page = await browser.NewPageAsync(375, 812);
            await page.GotoAsync("/account/sign-in");
            await page.FillAsync("#userName", userName);
            await page.FillAsync("#password", password);
            await page.ClickAsync("#sign-in");
            await page.WaitForURLAsync("**/workbench");
            await page.Locator(role == "volunteer" ? "#my-service" : "#work-items").WaitForAsync();
            await Browser.AssertAccessibleAsync(page, $"workbench-{role}-phone");
            await CheckPhoneHeaderAsync(page, "workbench-" + role);

            await page.SetViewportSizeAsync(1366, 900);
            var header = await page.Locator("header.topbar").BoundingBoxAsync();
            Assert.True(header!.Height <= OneLine, $"{role}: the desktop header is {header.Height} px high");
            // The menu groups open as drop-downs; opening one closes the other.
            await page.ClickAsync("#nav-group-activities > summary");
            await page.Locator("#nav-activities").WaitForAsync();
            await FitsAsync(page, $"workbench-{role}-desktop-menu");
            await page.ClickAsync("#nav-group-reports > summary");
            await page.Locator("#nav-campaigns").WaitForAsync();
            Assert.False(await page.Locator("#nav-activities").IsVisibleAsync());
            await page.Keyboard.PressAsync("Escape");
            Assert.False(await page.Locator("#nav-campaigns").IsVisibleAsync());
            await FitsAsync(page, $"workbench-{role}-desktop");
            await Browser.AssertAccessibleAsync(page, $"workbench-{role}-desktop");
            if (role == "district")
            {
                // A count leads to its list.
                await page.ClickAsync("li.work-item[data-key='Hours'] a");
                await page.WaitForURLAsync("**/hours");
                await page.Locator("#pending-hours tbody tr").First.WaitForAsync();
            }
            await page.Context.CloseAsync();
        }
    }

    /// <summary>At 375 px: the header is one line, the menu opens below it with every link of the role, and nothing scrolls sideways.</summary>
    static async Task CheckPhoneHeaderAsync(IPage page, string name)
    {
        var header = await page.Locator("header.topbar").BoundingBoxAsync();
        Assert.True(header!.Height <= OneLine, $"{name}: the phone header is {header.Height} px high");
        await FitsAsync(page, name + "-phone");
        Assert.False(await page.Locator("#main-nav").IsVisibleAsync());
        await page.ClickAsync("#menu-button");
        await page.Locator("#nav-activities").WaitForAsync();
        Assert.True(await page.Locator("#main-nav").IsVisibleAsync());
        await FitsAsync(page, name + "-phone-menu");
        await page.ClickAsync("#menu-button");
        Assert.False(await page.Locator("#main-nav").IsVisibleAsync());
    }

    static async Task FitsAsync(IPage page, string screenshot)
    {
        await Browser.ScreenshotAsync(page, screenshot);
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), $"{screenshot}: the page scrolls sideways");
    }
}
