using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Sms;
using Zhiyuan.Tests.Volunteers;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Codes to a volunteer's mobile under simultaneous requests, on two nodes: the number's limit holds and one code registers one volunteer.</summary>
public sealed class MobileCodeRaceTests : AppTest
{
    [Fact]
    [Races("POST /api/volunteers/verification-codes", "POST /api/volunteers")]
    public async Task TwentyCodeRequestsSendAtMostFiveAndTwentyRegistrationsWithOneCodeMakeOneVolunteer()
    {
        await using var gateway = await TestSmsGateway.StartAsync();
        gateway.ConfigureWebhook(app);
        await using var node2 = new TestApp(app.Database);
        gateway.ConfigureWebhook(node2);
        using var anonymous = app.CreateClient();
        using var anonymous2 = node2.CreateClient();
        var clients = new[] { anonymous, anonymous2 };
        var race = new Race(app);

        // Twenty code requests for one number at once: at most five an hour, each stored and sent once.
        const string asked = "13902260001";
        var codes = await race.RunAsync("ask for a mobile code ×20", Race.N, i => clients[i % 2].PostJsonAsync("/api/volunteers/verification-codes", new { mobile = asked }), 1, 5);
        race.CheckEqual(codes.Successes, await app.WithDbAsync(db => db.PhoneVerifications.CountAsync()), "codes stored (as many as accepted)");
        race.CheckEqual(codes.Successes, gateway.Received.Count, "messages sent (as many as accepted)");

        // A fresh number, one code, twenty identical registrations at once: one volunteer, one account, the code used once.
        const string mobile = "13902260002";
        var code = await app.MobileCodeAsync(gateway, mobile);
        var id = People.ResidentId(new DateOnly(1995, 5, 5), 123);
        await race.ExactlyOnceAsync("register with one code ×20", i => clients[i % 2].PostJsonAsync("/api/volunteers", People.Registration("陈小明", id, mobile, code: code)));
        race.CheckEqual(1, await app.WithDbAsync(db => db.Volunteers.CountAsync()), "volunteers registered with one code");
        race.CheckEqual(1, await app.WithDbAsync(db => db.Users.CountAsync(u => u.UserName!.StartsWith("ZY"))), "volunteers' accounts");
        race.Check(await app.WithDbAsync(db => db.Volunteers.AllAsync(v => v.MobileVerifiedAtUtc != null)), "the volunteer's mobile is verified");
        race.CheckEqual(1, await app.WithDbAsync(db => db.PhoneVerifications.CountAsync(v => v.UsedAtUtc != null)), "codes used");
        await race.AssertNoneAsync();
    }
}
