using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Activities;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Sign-ups, cancellations and decisions under simultaneous requests, from two phones and on two nodes of one database.</summary>
public sealed class SignUpRaceTests : AppTest
{
    sealed record Counts(int Counter, int Accepted, int WaitCounter, int Waiting);

    Task<Counts> CountsAsync(Guid session) => app.WithDbAsync(async db =>
    {
        var s = await db.ActivitySessions.AsNoTracking().SingleAsync(x => x.Id == session);
        var accepted = await db.SignUps.CountAsync(u => u.SessionId == session && u.Status == SignUpStatus.Accepted);
        var waiting = await db.SignUps.CountAsync(u => u.SessionId == session && u.Status == SignUpStatus.Waitlisted);
        return new Counts(s.Accepted, accepted, s.Waitlisted, waiting);
    });

    [Fact]
    [Races("DELETE /api/sessions/{sessionId}/signups/me")]
    public async Task TenSimultaneousCancellationsFromAFullSessionFreeOnePlaceAndTheSessionStaysFullAndCounted()
    {
        using var admin = await app.ApiClientAsync();
        var session = SessionId(await PublishedAsync(admin, Activity(await OrganizationAsync(admin), InDays(3), capacity: 20)));
        var volunteers = await app.VolunteersAsync(25);
        foreach (var (_, client) in volunteers)
        {
            await client.SignUpAsync(session).OkJsonAsync();
        }
        await using var node2 = new TestApp(app.Database);
        var race = new Race(app);

        // Three accepted volunteers, one after another, each press "cancel" ten times at once on two phones (one per node).
        for (var k = 0; k < 3; k++)
        {
            using var otherPhone = await node2.ApiClientAsync(volunteers[k].Number, People.Password);
            var phones = new[] { volunteers[k].Client, otherPhone };
            await race.RunAsync($"volunteer {k + 1} cancels ×10", 10, i => phones[i % 2].DeleteAsync($"/api/sessions/{session}/signups/me"), 1, 1);
            var counts = await CountsAsync(session);
            race.CheckEqual(20, counts.Accepted, $"accepted sign-ups after volunteer {k + 1} cancelled (a waiting one is promoted)");
            race.CheckEqual(counts.Accepted, counts.Counter, $"the session's counter after volunteer {k + 1} cancelled");
            race.CheckEqual(counts.Waiting, counts.WaitCounter, $"the waitlist counter after volunteer {k + 1} cancelled");
            await race.CheckIntegrityAsync($"volunteer {k + 1}'s cancellations");
        }

        // An accepted and a waitlisted volunteer cancel at the same moment.
        var waitingNumber = await app.WithDbAsync(db => db.SignUps.Where(u => u.SessionId == session && u.Status == SignUpStatus.Waitlisted)
            .OrderBy(u => u.WaitlistTicket).Select(u => u.Volunteer!.Number).FirstAsync());
        var waitingClient = volunteers.Single(v => v.Number == waitingNumber).Client;
        using var acceptedOnNode2 = await node2.ApiClientAsync(volunteers[3].Number, People.Password);
        await race.RunAsync("an accepted and a waitlisted volunteer cancel together", 2,
            i => (i == 0 ? acceptedOnNode2 : waitingClient).DeleteAsync($"/api/sessions/{session}/signups/me"), 2, 2);
        var after = await CountsAsync(session);
        race.CheckEqual(after.Accepted, after.Counter, "the session's counter after an accepted and a waitlisted volunteer cancelled together");
        race.CheckEqual(after.Waiting, after.WaitCounter, "the waitlist counter after an accepted and a waitlisted volunteer cancelled together");
        race.CheckEqual(20, after.Accepted, "accepted sign-ups while volunteers still wait");
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("POST /api/sessions/{sessionId}/signups")]
    public async Task SixtySimultaneousSignUpsToAFullSessionGetDistinctWaitlistPlacesAndADoubleClickSignsUpOnce()
    {
        using var admin = await app.ApiClientAsync();
        var session = SessionId(await PublishedAsync(admin, Activity(await OrganizationAsync(admin), InDays(3), capacity: 1)));
        var volunteers = await app.VolunteersAsync(61);
        var race = new Race(app);
        // The first volunteer presses "sign up" twenty times at once: one sign-up, the one place.
        await race.ExactlyOnceAsync("one volunteer signs up ×20", i => volunteers[0].Client.SignUpAsync(session));
        race.CheckEqual(1, await app.WithDbAsync(db => db.SignUps.CountAsync(u => u.SessionId == session)), "sign-ups after one volunteer's twenty clicks");

        // Sixty others at once: every one on the waitlist, each with a place of their own.
        await race.RunAsync("60 volunteers sign up to a full session", 60, i => volunteers[i + 1].Client.SignUpAsync(session), 60, 60);
        var tickets = await app.WithDbAsync(db => db.SignUps.Where(u => u.SessionId == session && u.Status == SignUpStatus.Waitlisted)
            .Select(u => u.WaitlistTicket).ToListAsync());
        race.CheckEqual(60, tickets.Count, "waitlisted sign-ups");
        race.CheckEqual(tickets.Count, tickets.Distinct().Count(), "distinct waitlist places");
        race.Check(tickets.All(t => t is >= 1 and <= 60), $"waitlist places are 1…60, found {string.Join(",", tickets.Order())}");
        var counts = await CountsAsync(session);
        race.CheckEqual(1, counts.Counter, "the session's accepted counter");
        race.CheckEqual(60, counts.WaitCounter, "the session's waitlist counter");
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("POST /api/sessions/{sessionId}/signups")]
    public async Task AVolunteerSigningUpForTwoOverlappingSessionsAtOnceIsAcceptedInAtMostOne()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var morning = SessionId(await PublishedAsync(admin, Activity(host, InDays(4, 9), capacity: 10, hours: 3, title: "上午场")));
        var overlapping = SessionId(await PublishedAsync(admin, Activity(host, InDays(4, 10), capacity: 10, hours: 3, title: "重叠场")));
        var volunteers = await app.VolunteersAsync(5);
        await using var node2 = new TestApp(app.Database);
        var race = new Race(app);
        foreach (var (number, client) in volunteers)
        {
            using var onNode2 = await node2.ApiClientAsync(number, People.Password);
            // Ten clicks, alternating sessions and nodes.
            await race.RunAsync($"{number} signs up for two overlapping sessions ×10", 10,
                i => (i % 2 == 0 ? client : onNode2).SignUpAsync(i % 4 < 2 ? morning : overlapping), 0, 1);
            var held = await app.WithDbAsync(db => db.SignUps.CountAsync(u => u.Volunteer!.Number == number
                && (u.SessionId == morning || u.SessionId == overlapping) && (u.Status == SignUpStatus.Accepted || u.Status == SignUpStatus.Waitlisted || u.Status == SignUpStatus.Pending)));
            race.Check(held <= 1, $"{number} holds {held} sign-ups in two overlapping sessions");
        }
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("POST /api/sessions/{sessionId}/signups/{number}/decision")]
    public async Task TwentySimultaneousApprovalsOfOneSignUpDecideItOnceAndCountOnePlace()
    {
        using var admin = await app.ApiClientAsync();
        var session = SessionId(await PublishedAsync(admin, Activity(await OrganizationAsync(admin), InDays(3), capacity: 2) with { ReviewSignUps = true }));
        var volunteers = await app.VolunteersAsync(2);
        foreach (var (_, client) in volunteers)
        {
            await client.SignUpAsync(session).OkJsonAsync();
        }
        await using var node2 = new TestApp(app.Database);
        using var admin2 = await node2.ApiClientAsync();
        var admins = new[] { admin, admin2 };
        var race = new Race(app);
        await race.ExactlyOnceAsync("approve a sign-up ×20", i => admins[i % 2].PostJsonAsync($"/api/sessions/{session}/signups/{volunteers[0].Number}/decision", new { approve = true }));
        await race.ExactlyOnceAsync("reject a sign-up ×20",
            i => admins[i % 2].PostJsonAsync($"/api/sessions/{session}/signups/{volunteers[1].Number}/decision", new { approve = false, reason = "名额已满" }));
        var counts = await CountsAsync(session);
        race.CheckEqual(1, counts.Accepted, "accepted sign-ups");
        race.CheckEqual(1, counts.Counter, "the session's counter");
        await race.AssertNoneAsync();
    }
}
