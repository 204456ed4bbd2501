using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Zhiyuan.Tests.Operations;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Accounts;

namespace Zhiyuan.Tests.Accounts;

/// <summary>
/// A test app whose requests may say which client address they come from (the test server has no
/// sockets): the X-Test-Client header becomes the connection's remote address.
/// </summary>
public sealed class AddressedTestApp : TestApp
{
    public const string Header = "X-Test-Client";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new ClientAddressFilter()));
    }

    /// <summary>A client whose every request comes from <paramref name="address"/>.</summary>
    public HttpClient ClientFrom(string address)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add(Header, address);
        client.DefaultRequestHeaders.AcceptLanguage.Add(new StringWithQualityHeaderValue("zh-CN"));
        return client;
    }

    sealed class ClientAddressFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                if (http.Request.Headers.TryGetValue(Header, out var value) && IPAddress.TryParse(value.ToString(), out var address))
                {
                    http.Connection.RemoteIpAddress = address;
                }
                return nextMiddleware(http);
            });
            next(app);
        };
    }
}

public sealed partial class SignInSafetyTests : IDisposable
{
    readonly AddressedTestApp app = new();

    public void Dispose() => app.Dispose();

    async Task<string> VolunteerAsync(string unitCode = "441202", int serial = 123, string mobile = "13812345678") =>
        (await app.RegisterAsync("李明", People.ResidentId(1990, serial), mobile, unitCode)).GetProperty("number").GetString()!;

    static Task<HttpResponseMessage> TokenAsync(HttpClient client, string userName, string password) =>
        client.PostAsJsonAsync("/api/auth/token", new { userName, password });

    static async Task<string> TitleAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString()!;

    Task<DateTime?> DelayUntilAsync(string userName) =>
        app.WithDbAsync(db => db.Users.Where(u => u.UserName == userName).Select(u => u.SignInDelayUntilUtc).SingleAsync());

    [Fact]
    public async Task TwentyFailuresFromOneAddressAreRefusedThereOnlyAndTheVolunteerWaitsSecondsInsteadOfBeingLockedOut()
    {
        var number = await VolunteerAsync();
        using var guesser = app.ClientFrom("10.0.0.1");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 25; i++)
        {
            statuses.Add((await TokenAsync(guesser, number, "guess-" + i)).StatusCode);
        }

        Assert.All(statuses.Take(20), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.All(statuses.Skip(20), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        var limited = await TokenAsync(guesser, number, People.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Contains("网络地址", await TitleAsync(limited));

        // Only five passwords were checked (the rest were refused inside the delay), so the wait is seconds, not a lock-out.
        var until = await DelayUntilAsync(number);
        Assert.NotNull(until);
        Assert.True(until.Value - app.Clock.GetUtcNow().UtcDateTime < TimeSpan.FromMinutes(1), $"the volunteer waits until {until}");
        app.Clock.Advance(until.Value - app.Clock.GetUtcNow().UtcDateTime + TimeSpan.FromSeconds(1));
        using var owner = app.ClientFrom("10.0.0.2");
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(owner, number, People.Password)).StatusCode);
    }

    [Fact]
    public async Task AfterFiveWrongPasswordsEachFurtherAttemptWaitsTwiceAsLongAndIsRefusedUncheckedMeanwhile()
    {
        var number = await VolunteerAsync();
        using var client = app.ClientFrom("10.0.0.3");
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("用户名或密码不正确。", await TitleAsync(await TokenAsync(client, number, "guess-" + i)));
        }
        var waits = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            var wrong = await TokenAsync(client, number, "guess-again-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            var wait = int.Parse(Digits().Match(await TitleAsync(wrong)).Value);
            waits.Add(wait);
            // Inside the wait even the right password is not checked.
            var early = await TokenAsync(client, number, People.Password);
            Assert.Equal(HttpStatusCode.Unauthorized, early.StatusCode);
            Assert.Contains("秒后再试", await TitleAsync(early));
            app.Clock.Advance(TimeSpan.FromSeconds(wait + 1));
        }

        Assert.Equal(new[] { 2, 4, 8, 16 }, waits.ToArray());
        Assert.Equal(TimeSpan.FromMinutes(15), AccountUseCases.VolunteerDelay(40));
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(client, number, People.Password)).StatusCode);
    }

    [Fact]
    public async Task ADistrictAdministratorResetsAndUnlocksVolunteersOfItsDistrictButNotOfAnother()
    {
        var own = await VolunteerAsync("441202", 123, "13812345678");
        var other = await VolunteerAsync("441203", 125, "13812345679");
        await app.CreateUnitAdminAsync("duanzhou", "441202", "Duanzhou-2019");
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Duanzhou-2019");
        using var volunteer = await app.ApiClientAsync(own, People.Password);

        Assert.Equal(HttpStatusCode.NotFound, (await duanzhou.PostAsync($"/api/volunteers/{other}/password-reset", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await duanzhou.PostAsync($"/api/volunteers/{other}/unlock", null)).StatusCode);
        using var anonymous = app.ClientFrom("10.0.0.4");
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(anonymous, other, People.Password)).StatusCode);

        for (var i = 0; i < 6; i++)
        {
            await TokenAsync(anonymous, own, "guess-" + i);
        }
        Assert.NotNull(await DelayUntilAsync(own));
        Assert.Equal(HttpStatusCode.OK, (await duanzhou.PostAsync($"/api/volunteers/{own}/unlock", null)).StatusCode);
        Assert.Null(await DelayUntilAsync(own));
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(anonymous, own, People.Password)).StatusCode);

        var reset = await duanzhou.PostAsync($"/api/volunteers/{own}/password-reset", null);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Contains("no-store", reset.Headers.CacheControl?.ToString());
        var temporary = (await reset.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("password").GetString()!;
        Assert.Equal(HttpStatusCode.Unauthorized, (await TokenAsync(anonymous, own, People.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(anonymous, own, temporary)).StatusCode);
        // The volunteer's token of the old password ends with it.
        Assert.Equal(HttpStatusCode.Unauthorized, (await volunteer.GetAsync("/api/auth/me")).StatusCode);
        var audited = await app.WithDbAsync(db => db.AuditEntries.Where(e => e.Subject == own).Select(e => e.Action).ToListAsync());
        Assert.Contains("volunteer.unlock", audited);
        Assert.Contains("volunteer.password-reset", audited);
        Assert.DoesNotContain(temporary, string.Join("", await app.WithDbAsync(db => db.AuditEntries.Select(e => e.Details).ToListAsync())));
    }

    [Fact]
    public async Task TheVolunteerPageResetsThePasswordAndShowsItOnce()
    {
        var number = await VolunteerAsync();
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var page = await browser.GetPageAsync($"/volunteers/{number}");
        var response = await browser.PostFormAsync($"/volunteers/{number}", page, "password-reset");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var shown = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync())
            .QuerySelector("#temporary-password .code")?.TextContent;
        Assert.False(string.IsNullOrEmpty(shown));
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(app.ClientFrom("10.0.0.5"), number, shown!)).StatusCode);
    }

    [Fact]
    public async Task APasswordChangeOrALockOutEndsAnAccessTokenAtOnceAndAnUnlockByTheCityRestoresIt()
    {
        await app.CreateUnitAdminAsync("duanzhou", "441202", "Duanzhou-2019");
        using var first = await app.ApiClientAsync("duanzhou", "Duanzhou-2019");
        using var second = await app.ApiClientAsync("duanzhou", "Duanzhou-2019");
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync("/api/auth/me")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await first.PostAsJsonAsync("/api/auth/password", new { currentPassword = "Duanzhou-2019", newPassword = "Changed-2019" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await first.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.GetAsync("/api/units")).StatusCode);

        using var third = await app.ApiClientAsync("duanzhou", "Changed-2019");
        using var guesser = app.ClientFrom("10.0.0.6");
        for (var i = 0; i < AccountsSetup.MaxFailedSignIns; i++)
        {
            await TokenAsync(guesser, "duanzhou", "guess-" + i);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await third.GetAsync("/api/units")).StatusCode);
        using var city = await app.ApiClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await city.PostAsync("/api/accounts/duanzhou/unlock", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await third.GetAsync("/api/units")).StatusCode);
    }

    [Fact]
    public async Task ARefreshTokenWorksOnceAndReusingItLaterRevokesEveryTokenRefreshedFromTheSameSignIn()
    {
        using var client = app.ClientFrom("10.0.0.7");
        var r1 = (await (await TokenAsync(client, "admin", TestApp.AdminPassword)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refreshToken").GetString();
        var refreshed = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = r1 });
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var r2 = (await refreshed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refreshToken").GetString();

        // A second use at once (a client retrying) gets nothing but leaves the chain alone.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = r1 })).StatusCode);
        var again = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = r2 });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var r3 = (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refreshToken").GetString();

        // A use later is a copied token: the whole chain ends, the newest token too.
        app.Clock.Advance(RefreshTokenStore.RetryLeeway + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = r1 })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = r3 })).StatusCode);
        // Another sign-in is another chain.
        var fresh = (await (await TokenAsync(client, "admin", TestApp.AdminPassword)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refreshToken").GetString();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = fresh })).StatusCode);
    }

    [Fact]
    public async Task ResetAdminGivesALockedOutCityAdministratorANewPasswordPrintedOnce()
    {
        var number = await VolunteerAsync();
        using var guesser = app.ClientFrom("10.0.0.8");
        for (var i = 0; i < AccountsSetup.MaxFailedSignIns; i++)
        {
            await TokenAsync(guesser, "admin", "guess-" + i);
        }
        var environment = AppProcess.Environment(TestDatabase.Provider.ToString(), app.Database.ConnectionString);

        var reset = await AppProcess.RunAsync(["reset-admin", "admin"], environment);

        Assert.Equal(0, reset.ExitCode);
        var lines = reset.Output.Trim().Split('\n');
        Assert.Single(lines);
        var password = lines[0].Trim()[(lines[0].Trim().LastIndexOf(' ') + 1)..];
        using var client = app.ClientFrom("10.0.0.9");
        Assert.Equal(HttpStatusCode.Unauthorized, (await TokenAsync(client, "admin", TestApp.AdminPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(client, "admin", password)).StatusCode);
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "account.reset-admin" && e.Subject == "admin")));

        Assert.Equal(1, (await AppProcess.RunAsync(["reset-admin", "nobody"], environment)).ExitCode);
        Assert.Equal(1, (await AppProcess.RunAsync(["reset-admin", number], environment)).ExitCode);
    }

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();
}
