using Microsoft.Playwright;

namespace Zhiyuan.BrowserTests;

public sealed class FirstVisitJourney
{
    [BrowserFact]
    public async Task AVisitorReadsTheHomePageInChineseSwitchesToEnglishSignsInAndSeesTheUnitTree()
    {
        await using var browser = await Browser.StartAsync();
        var page = await browser.NewPageAsync();

        await page.GotoAsync("/");
        Assert.Equal("zh-CN", await page.GetAttributeAsync("html", "lang"));
        Assert.Contains("志愿服务平台", await page.InnerTextAsync("h1"));
        await Browser.ScreenshotAsync(page, "home-zh-desktop");

        await page.ClickAsync("#switch-language");
        await page.WaitForURLAsync(browser.BaseAddress + "/");
        Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
        Assert.Contains("volunteer-service platform", await page.InnerTextAsync("h1"));

        await page.ClickAsync("text=Sign in");
        await page.FillAsync("#userName", "admin");
        await page.FillAsync("#password", Zhiyuan.Tests.TestApp.AdminPassword);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync("**/workbench");
        await page.ClickAsync("#nav-group-admin > summary");
        await page.ClickAsync("#nav-units");
        await page.WaitForURLAsync("**/units");

        var tree = await page.InnerTextAsync("#unit-tree");
        Assert.Contains("肇庆市志愿者联合会", tree);
        Assert.Contains("端州区", tree);
        Assert.Contains("四会市", tree);
        Assert.Contains("College", tree);
        await Browser.ScreenshotAsync(page, "units-en-desktop");

        await page.ClickAsync("#nav-group-admin > summary");
        await page.ClickAsync("text=Accounts");
        await page.WaitForURLAsync("**/accounts");
        Assert.Contains("admin", await page.InnerTextAsync("#account-list"));
        await Browser.ScreenshotAsync(page, "accounts-en-desktop");

        await page.ClickAsync("#nav-group-admin > summary");
        await page.ClickAsync("text=Audit log");
        await page.WaitForURLAsync("**/audit");
        // A fresh platform may have nothing recorded yet: then the page says so instead of showing an empty table.
        await page.Locator("#audit-list, .empty-state").First.WaitForAsync();

        await page.ClickAsync("text=Sign out");
        await page.WaitForURLAsync(browser.BaseAddress + "/");
        await page.Locator("header >> text=Sign in").WaitForAsync();
    }

    [BrowserFact]
    public async Task OnAPhoneTheAdministratorAddsATownUnderADistrictAndSeesItInTheTree()
    {
        await using var browser = await Browser.StartAsync();
        var page = await browser.NewPageAsync(width: 375, height: 812);

        await page.GotoAsync("/");
        await Browser.ScreenshotAsync(page, "home-zh-phone");
        // Nothing on the home page is wider than the phone's screen.
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));

        await page.GotoAsync("/account/sign-in");
        await page.FillAsync("#userName", "admin");
        await page.FillAsync("#password", Zhiyuan.Tests.TestApp.AdminPassword);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync("**/workbench");
        await page.GotoAsync("/units");
        await page.ClickAsync("#unit-tree >> text=端州区");
        await page.WaitForURLAsync("**/units/441202");

        await page.FillAsync("#child-code", "441202001");
        await page.FillAsync("#child-name", "城东街道");
        await page.SelectOptionAsync("select[name='Child.Type']", "Town");
        await page.ClickAsync("#add-child");
        await page.Locator(".success").WaitForAsync();
        await Browser.ScreenshotAsync(page, "unit-zh-phone");

        await page.GotoAsync("/units");
        Assert.Contains("城东街道", await page.InnerTextAsync("#unit-tree"));
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(page, "units-zh-phone");
    }
}
