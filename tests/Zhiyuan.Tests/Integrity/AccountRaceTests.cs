using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Accounts;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Refresh tokens and administrators' help for volunteers under simultaneous requests, on two nodes of one database.</summary>
public sealed class AccountRaceTests : AppTest
{
    [Fact]
    [Races("POST /api/auth/refresh")]
    public async Task TwentySimultaneousUsesOfOneRefreshTokenGiveOneNewPairThatKeepsWorking()
    {
        await using var node2 = new TestApp(app.Database);
        using var client1 = app.CreateClient();
        using var client2 = node2.CreateClient();
        var signedIn = await client1.PostJsonAsync("/api/auth/token", new { userName = "admin", password = TestApp.AdminPassword }).OkJsonAsync();
        var refreshToken = signedIn.GetProperty("refreshToken").GetString();
        var race = new Race(app);

        // A refused refresh is a 401 (sign in again), not a 400/404/409: checked here rather than by Race.Expect.
        var result = await Race.AtOnceAsync("refresh with one token ×20", Race.N, i => (i % 2 == 0 ? client1 : client2).PostJsonAsync("/api/auth/refresh", new { refreshToken }));
        race.CheckEqual(1, result.Successes, $"new pairs from one refresh token ({result.Summary})");
        race.Check(result.Refusals.All(a => a.Status == 401), $"every other use is refused with 401 ({result.Summary})");
        var pair = JsonDocument.Parse(result.Attempts.Single(a => a.Succeeded).Body).RootElement;
        var next = await client1.PostJsonAsync("/api/auth/refresh", new { refreshToken = pair.GetProperty("refreshToken").GetString() });
        race.CheckEqual(System.Net.HttpStatusCode.OK, next.StatusCode, "the new pair's refresh token");
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("POST /api/volunteers/{number}/unlock", "POST /api/volunteers/{number}/password-reset")]
    public async Task SimultaneousUnlocksAllSucceedAndOfSimultaneousResetsOnlyTheLastPasswordWorks()
    {
        var number = (await app.RegisterAsync("李明", People.ResidentId(1990), "13812345678")).GetProperty("number").GetString();
        await using var node2 = new TestApp(app.Database);
        using var city1 = await app.ApiClientAsync();
        using var city2 = await node2.ApiClientAsync();
        var cities = new[] { city1, city2 };
        var race = new Race(app);

        await race.RunAsync("unlock a volunteer ×20", Race.N, i => cities[i % 2].PostEmptyAsync($"/api/volunteers/{number}/unlock"), Race.N, Race.N);
        var resets = await race.RunAsync("reset a volunteer's password ×20", Race.N, i => cities[i % 2].PostEmptyAsync($"/api/volunteers/{number}/password-reset"), 1, Race.N);

        var shown = resets.Attempts.Where(a => a.Succeeded).Select(a => JsonDocument.Parse(a.Body).RootElement.GetProperty("password").GetString()!).ToList();
        var user = await app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.UserName == number));
        var hasher = new PasswordHasher<AppUser>();
        var working = shown.Count(p => hasher.VerifyHashedPassword(user, user.PasswordHash!, p) != PasswordVerificationResult.Failed);
        race.CheckEqual(1, working, "passwords shown that work");
        race.CheckEqual(shown.Count, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "volunteer.password-reset" && e.Subject == number)), "audited resets");
        await race.AssertNoneAsync();
    }
}
