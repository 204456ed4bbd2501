using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Zhiyuan.Web.Accounts;

namespace Zhiyuan.Tests.Accounts;

public sealed class SignInTests : AppTest
{
    [Fact]
    public async Task FiveWrongPasswordsLockTheAccountEvenAgainstTheRightOne()
    {
        using var client = app.CreateClient();
        for (var i = 0; i < AccountsSetup.MaxFailedSignIns; i++)
        {
            var wrong = await client.PostAsJsonAsync("/api/auth/token", new { userName = "admin", password = "wrong-" + i });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        var right = await client.PostAsJsonAsync("/api/auth/token", new { userName = "admin", password = TestApp.AdminPassword });

        Assert.Equal(HttpStatusCode.Unauthorized, right.StatusCode);
        var problem = await right.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("锁定", problem.GetProperty("title").GetString());
        Assert.DoesNotContain("accessToken", problem.ToString());
    }

    [Fact]
    public async Task AWrongPasswordAndAnUnknownUserGetTheSameAnswer()
    {
        using var client = app.CreateClient();

        var wrong = await client.PostAsJsonAsync("/api/auth/token", new { userName = "admin", password = "nope-nope" });
        var unknown = await client.PostAsJsonAsync("/api/auth/token", new { userName = "nobody", password = "nope-nope" });

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal((await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString(),
                     (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
    }

    [Fact]
    public async Task TheApiAnswersAnonymousCallsWith401NotARedirect()
    {
        using var client = app.CreateClient(new() { AllowAutoRedirect = false });

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/units")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/auth/me")).StatusCode);
        client.DefaultRequestHeaders.Authorization = new("Bearer", "forged-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/units")).StatusCode);
    }

    [Fact]
    public async Task TheApiIgnoresTheSignInCookieSoOtherSitesCannotUseIt()
    {
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/units")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/units")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.PostAsync("/api/units/441202/deactivate", null)).StatusCode);
    }

    [Fact]
    public async Task SigningOutNeedsTheFormsAntiforgeryToken()
    {
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);

        var forged = await browser.PostAsync("/account/sign-out", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/units")).StatusCode);

        var page = await browser.GetPageAsync("/units");
        var signedOut = await browser.PostFormAsync("/account/sign-out", page, "");
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/units")).StatusCode);
    }

    [Fact]
    public async Task GuessingTheCurrentPasswordOnThePasswordChangeCountsTowardsTheLockOut()
    {
        using var admin = await app.ApiClientAsync();
        for (var i = 0; i < AccountsSetup.MaxFailedSignIns; i++)
        {
            await admin.PostAsJsonAsync("/api/auth/password", new { currentPassword = "guess-" + i, newPassword = "Whatever-2019" });
        }

        using var anonymous = app.CreateClient();
        var signIn = await anonymous.PostAsJsonAsync("/api/auth/token", new { userName = "admin", password = TestApp.AdminPassword });
        Assert.Equal(HttpStatusCode.Unauthorized, signIn.StatusCode);
    }

    [Fact]
    public async Task ARefreshTokenGivesANewTokenUntilThePasswordChanges()
    {
        using var client = app.CreateClient();
        var first = await (await client.PostAsJsonAsync("/api/auth/token", new { userName = "admin", password = TestApp.AdminPassword })).Content.ReadFromJsonAsync<JsonElement>();
        var refreshToken = first.GetProperty("refreshToken").GetString();

        var refreshed = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken });
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var second = await refreshed.Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Authorization = new("Bearer", second.GetProperty("accessToken").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/units")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = "forged" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = (string?)null })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync("/api/auth/password", new { currentPassword = TestApp.AdminPassword, newPassword = "Changed-2019" })).StatusCode);
        var afterChange = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken });
        Assert.Equal(HttpStatusCode.Unauthorized, afterChange.StatusCode);
        Assert.Contains("重新登录", (await afterChange.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
    }

    [Fact]
    public async Task ABearerTokenIdentifiesTheCityAdministrator()
    {
        using var client = await app.ApiClientAsync();

        var me = await client.GetFromJsonAsync<JsonElement>("/api/auth/me");

        Assert.Equal("admin", me.GetProperty("userName").GetString());
        Assert.Equal("441200", me.GetProperty("unitCode").GetString());
        Assert.Contains("CityAdmin", me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task TheSignInPageSetsACookieThatOpensTheUnitTree()
    {
        using var browser = app.PageClient();
        var anonymous = await browser.GetAsync("/units");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.StartsWith("/account/sign-in", anonymous.Headers.Location!.PathAndQuery);

        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var tree = await browser.GetPageAsync("/units");

        Assert.Contains("四会市", tree.QuerySelector("#unit-tree")!.TextContent);
        Assert.Contains("端州区", tree.QuerySelector("#unit-tree")!.TextContent);
    }

    [Fact]
    public async Task AWrongPasswordOnTheSignInPageSaysSoInTheUsersLanguage()
    {
        using var chinese = app.PageClient();
        var page = await chinese.GetPageAsync("/account/sign-in");
        var response = await chinese.PostFormAsync("/account/sign-in", page, "sign-in", ("Input.UserName", "admin"), ("Input.Password", "wrong-password"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("用户名或密码不正确", await response.Content.ReadAsStringAsync());

        using var english = app.PageClient(language: "en");
        page = await english.GetPageAsync("/account/sign-in");
        response = await english.PostFormAsync("/account/sign-in", page, "sign-in", ("Input.UserName", "admin"), ("Input.Password", "wrong-password"));
        Assert.Contains("The user name or password is not correct", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AnAdministratorCanSignInWithTheirMobileNumber()
    {
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var admin = await users.FindByNameAsync("admin");
            // Mobile numbers are found by their keyed hash, never stored in plain text.
            admin!.PhoneHash = scope.ServiceProvider.GetRequiredService<Zhiyuan.Web.Infrastructure.PersonalData>()
                .Hash(Zhiyuan.Web.Volunteers.VolunteerUseCases.PhoneHashKind, "13800138000");
            await users.UpdateAsync(admin);
        }
        using var client = app.CreateClient();

        var response = await client.PostAsJsonAsync("/api/auth/token", new { userName = "13800138000", password = TestApp.AdminPassword });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AnAccountsPasswordMustMeetTheRulesAndNothingIsCreatedOtherwise()
    {
        using var city = await app.ApiClientAsync();

        var response = await city.PostAsJsonAsync("/api/accounts", new { userName = "weak", password = "short", role = "UnitAdmin", unitCode = "441202" });

        await Pages.AssertFieldErrorAsync(response, "password", "8");
        var accounts = await city.GetFromJsonAsync<JsonElement[]>("/api/accounts");
        Assert.DoesNotContain(accounts!, a => a.GetProperty("userName").GetString() == "weak");
    }
}
