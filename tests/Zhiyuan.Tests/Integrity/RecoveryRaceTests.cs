using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.ServicePosts;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Password recovery under simultaneous requests: the per-account limit holds and one code sets one password.</summary>
public sealed class RecoveryRaceTests : AppTest
{
    [Fact]
    [Races("POST /api/auth/recovery", "POST /api/auth/recovery/complete")]
    public async Task TwentyRecoveryRequestsSendAtMostThreeCodesAndOneCodeSetsThePasswordOnce()
    {
        var volunteers = await app.VolunteersAsync(2, 100);
        await using var node2 = new TestApp(app.Database);
        using var client = app.CreateClient();
        using var client2 = node2.CreateClient();
        var clients = new[] { client, client2 };
        var race = new Race(app);

        var first = volunteers[0].Number;
        var asked = await race.RunAsync("ask to recover ×20", Race.N, i => clients[i % 2].PostJsonAsync("/api/auth/recovery", new { userName = first }), 1, 3);
        race.CheckEqual(asked.Successes, await app.WithDbAsync(db => db.PasswordRecoveries.CountAsync()), "recovery codes stored (as many as accepted)");

        // One code, twenty completions at once: the password is set once.
        var second = volunteers[1].Number;
        await client.PostJsonAsync("/api/auth/recovery", new { userName = second }).OkJsonAsync();
        var code = app.CodeFor("13900000101");
        await race.ExactlyOnceAsync("complete with one code ×20",
            i => clients[i % 2].PostJsonAsync("/api/auth/recovery/complete", new { userName = second, code, newPassword = $"Recovered-{i:D2}-2019" }));
        race.CheckEqual(1, await app.WithDbAsync(db => db.PasswordRecoveries.CountAsync(r => r.UsedAtUtc != null)), "recovery codes used");
        await race.AssertNoneAsync();
    }
}
