using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Zhiyuan.Web.Accounts;

namespace Zhiyuan.Tests.Accounts;

public sealed class AccountsTests : AppTest
{
    [Fact]
    public async Task TheCityAdministratorCreatesACountyAdministratorOnTheAccountsPage()
    {
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var page = await browser.GetPageAsync("/accounts");
        Assert.Contains("CityAdmin", page.QuerySelectorAll("#account-role option").Select(o => o.GetAttribute("value")));

        var created = await browser.PostFormAsync("/accounts", page, "create-account",
            ("Input.UserName", "sihui"), ("Input.DisplayName", "四会市团委"), ("Input.Password", "Sihui-admin-2019"),
            ("Input.Role", "UnitAdmin"), ("Input.UnitCode", "441284"));

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var list = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await created.Content.ReadAsStringAsync());
        Assert.Contains("四会市团委", list.QuerySelector("#account-list")!.TextContent);
        using var sihui = await app.ApiClientAsync("sihui", "Sihui-admin-2019");
        var units = await sihui.GetFromJsonAsync<JsonElement[]>("/api/units");
        Assert.Equal(["441284"], units!.Select(u => u.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task TheAccountsPageShowsBadInputAndCreatesNothing()
    {
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var page = await browser.GetPageAsync("/accounts");

        var response = await browser.PostFormAsync("/accounts", page, "create-account",
            ("Input.UserName", "has space"), ("Input.Password", "short"), ("Input.Role", "Volunteer"), ("Input.UnitCode", "441284"));

        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("用户名只能包含", html);
        Assert.Contains("不能创建角色“Volunteer”", html);
        using var city = await app.ApiClientAsync();
        Assert.Single((await city.GetFromJsonAsync<JsonElement[]>("/api/accounts"))!);
    }

    [Fact]
    public async Task AnAdministratorUnlocksALockedAccountInTheirSubtreeButNotElsewhere()
    {
        await app.CreateUnitAdminAsync("duanzhou", "441202", "Duanzhou-2019");
        await app.CreateUnitAdminAsync("sihui", "441284", "Sihui-admin-2019");
        using var anonymous = app.CreateClient();
        for (var i = 0; i < AccountsSetup.MaxFailedSignIns; i++)
        {
            await anonymous.PostAsJsonAsync("/api/auth/token", new { userName = "duanzhou", password = "wrong-" + i });
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/auth/token", new { userName = "duanzhou", password = "Duanzhou-2019" })).StatusCode);
        using var city = await app.ApiClientAsync();
        var listed = await city.GetFromJsonAsync<JsonElement[]>("/api/accounts");
        Assert.True(listed!.Single(a => a.GetProperty("userName").GetString() == "duanzhou").GetProperty("isLockedOut").GetBoolean());

        using var sihui = await app.ApiClientAsync("sihui", "Sihui-admin-2019");
        Assert.Equal(HttpStatusCode.NotFound, (await sihui.PostAsync("/api/accounts/duanzhou/unlock", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/auth/token", new { userName = "duanzhou", password = "Duanzhou-2019" })).StatusCode);

        var unlocked = await city.PostAsync("/api/accounts/duanzhou/unlock", null);
        Assert.Equal(HttpStatusCode.OK, unlocked.StatusCode);
        Assert.False((await unlocked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("isLockedOut").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsJsonAsync("/api/auth/token", new { userName = "duanzhou", password = "Duanzhou-2019" })).StatusCode);
    }

    [Fact]
    public async Task ChangingAPasswordNeedsTheCurrentOneAndAStrongNewOne()
    {
        await app.CreateUnitAdminAsync("duanzhou", "441202", "Duanzhou-2019");
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Duanzhou-2019");

        var wrongCurrent = await duanzhou.PostAsJsonAsync("/api/auth/password", new { currentPassword = "not-it-2019", newPassword = "New-pass-2019" });
        await Pages.AssertFieldErrorAsync(wrongCurrent, "currentPassword", "当前密码不正确");
        var weak = await duanzhou.PostAsJsonAsync("/api/auth/password", new { currentPassword = "Duanzhou-2019", newPassword = "abc" });
        await Pages.AssertFieldErrorAsync(weak, "newPassword", "8");

        var changed = await duanzhou.PostAsJsonAsync("/api/auth/password", new { currentPassword = "Duanzhou-2019", newPassword = "New-pass-2019" });

        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/auth/token", new { userName = "duanzhou", password = "Duanzhou-2019" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsJsonAsync("/api/auth/token", new { userName = "duanzhou", password = "New-pass-2019" })).StatusCode);
    }

    [Fact]
    public async Task ThePasswordPageChangesThePasswordAndKeepsTheUserSignedIn()
    {
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var page = await browser.GetPageAsync("/account/password");

        var response = await browser.PostFormAsync("/account/password", page, "change-password",
            ("Input.CurrentPassword", TestApp.AdminPassword), ("Input.NewPassword", "Brand-new-2019"));

        Assert.Contains("密码已修改", await response.Content.ReadAsStringAsync());
        await browser.GetPageAsync("/units");
        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsJsonAsync("/api/auth/token", new { userName = "admin", password = "Brand-new-2019" })).StatusCode);
    }
}
