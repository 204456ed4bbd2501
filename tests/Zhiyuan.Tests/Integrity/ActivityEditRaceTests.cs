using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Messages;
using static Zhiyuan.Tests.Activities.ActivityEditTests;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Editing and cancelling activities under simultaneous requests: one change, one message per volunteer, counters that match the rows.</summary>
public sealed class ActivityEditRaceTests : AppTest
{
    Task<List<(string Number, MessageKind Kind)>> MessagesAsync() => app.WithDbAsync(async db =>
        (await db.Messages.AsNoTracking().Join(db.Volunteers, m => m.RecipientUserId, v => v.UserId, (m, v) => new { v.Number, m.Kind }).ToListAsync())
        .Select(m => (m.Number, m.Kind)).ToList());

    [Fact]
    [Races("PUT /api/activities/{id}", "POST /api/activities/{id}/sessions/{sessionId}/cancellation", "POST /api/activities/{id}/cancellation")]
    public async Task TwentyIdenticalEditsMoveASessionOnceAndTwentyCancellationsCancelOnceTellingEachVolunteerOnce()
    {
        using var admin = await app.ApiClientAsync();
        var request = Activity(await OrganizationAsync(admin), InDays(3), capacity: 2) with
        {
            Sessions = [new SessionRequest(InDays(3), InDays(3, 12), 2), new SessionRequest(InDays(4), InDays(4, 12), 2), new SessionRequest(InDays(5), InDays(5, 12), 2)],
        };
        var id = (await PublishedAsync(admin, request)).GetProperty("id").GetGuid();
        var view = await ViewAsync(admin, id);
        var v = await app.VolunteersAsync(4);
        foreach (var (volunteer, session) in new[] { (0, 0), (1, 0), (2, 0), (3, 1), (0, 2) })
        {
            await v[volunteer].Client.SignUpAsync(view.Sessions[session].Id).OkJsonAsync();
        }
        await using var node2 = new TestApp(app.Database);
        using var admin2 = await node2.ApiClientAsync();
        var admins = new[] { admin, admin2 };
        var race = new Race(app);

        // Twenty identical edits from one version, on two nodes: the session moves (and grows by one place) once; the rest are told someone saved first.
        var edit = EditActivityRequest.From(view) with { Sessions = With(view, 0, s => Moved(s, InDays(3, 14)) with { Capacity = 3 }) };
        var edits = await race.ExactlyOnceAsync("edit an activity ×20", i => EditAsync(admins[i % 2], id, edit));
        race.Check(edits.Refusals.All(r => r.Status == 409), $"refused edits are 409s: {edits.Summary}");
        var after = await ViewAsync(admin, id);
        race.CheckEqual((1, 3, 0), (after.Version, after.Sessions[0].Accepted, after.Sessions[0].Waitlisted), "version, accepted and waitlisted after the edits");
        var messages = await MessagesAsync();
        foreach (var k in new[] { 0, 1, 2 })
        {
            race.CheckEqual(1, messages.Count(m => m.Number == v[k].Number && m.Kind == MessageKind.ActivityChanged), $"change messages to volunteer {k + 1}");
        }
        race.CheckEqual(1, messages.Count(m => m.Number == v[2].Number && m.Kind == MessageKind.WaitlistPromoted), "promotion messages to the one waiting");
        race.CheckEqual(4, messages.Count, "messages after twenty identical edits");
        race.CheckEqual(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "activity.edit")), "audit entries of the edit");
        await race.CheckIntegrityAsync("twenty edits");

        // Twenty identical cancellations of one session: cancelled once, its volunteer told once.
        var sessionId = view.Sessions[1].Id;
        await race.ExactlyOnceAsync("cancel a session ×20", i => admins[i % 2].PostJsonAsync($"/api/activities/{id}/sessions/{sessionId}/cancellation", new { reason = "场地临时维修" }));
        race.CheckEqual(1, (await MessagesAsync()).Count(m => m.Number == v[3].Number && m.Kind == MessageKind.ActivityCancelled), "cancellation messages to the session's volunteer");
        await race.CheckIntegrityAsync("twenty session cancellations");

        // Twenty identical cancellations of the activity: cancelled once; each volunteer still signed up told once, whatever their number of sessions.
        await race.ExactlyOnceAsync("cancel an activity ×20", i => admins[i % 2].PostJsonAsync($"/api/activities/{id}/cancellation", new { reason = "台风预警" }));
        messages = await MessagesAsync();
        foreach (var k in new[] { 0, 1, 2, 3 })
        {
            race.CheckEqual(1, messages.Count(m => m.Number == v[k].Number && m.Kind == MessageKind.ActivityCancelled), $"cancellation messages to volunteer {k + 1}");
        }
        race.CheckEqual(0, await app.WithDbAsync(db => db.SignUps.CountAsync(s => s.Status != SignUpStatus.Cancelled)), "sign-ups left after the cancellation");
        race.CheckEqual(0, await app.WithDbAsync(db => db.ActivitySessions.SumAsync(s => s.Accepted + s.Waitlisted)), "places and waitlist left");
        race.CheckEqual(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "activity.cancel")), "audit entries of the cancellation");
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("PUT /api/organizations/{id}")]
    public async Task TwentyIdenticalProfileEditsSaveOnce()
    {
        using var city = await app.ApiClientAsync();
        var id = await OrganizationAsync(city);
        await using var node2 = new TestApp(app.Database);
        using var city2 = await node2.ApiClientAsync();
        var cities = new[] { city, city2 };
        var race = new Race(app);
        var result = await race.ExactlyOnceAsync("edit an organisation's profile ×20", i => cities[i % 2].PutAsJsonAsync($"/api/organizations/{id}",
            new { version = 0, name = "端州区青年志愿者协会西江分会", contactName = "陈队长", contactPhone = "0758-2261234" }));
        race.Check(result.Refusals.All(r => r.Status == 409), $"refused edits are 409s: {result.Summary}");
        var saved = await app.WithDbAsync(db => db.Organizations.AsNoTracking().SingleAsync(o => o.Id == id));
        race.CheckEqual((1, "端州区青年志愿者协会西江分会", "0758-2261234"), (saved.Version, saved.Name, saved.ContactPhone), "the profile after twenty identical edits");
        race.CheckEqual(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "organization.profile")), "audit entries of the profile");
        await race.AssertNoneAsync();
    }

    [Fact]
    public async Task AnActivityCancelledDuringASignUpStormEndsWithNoPlaceHeldAndTellsOnlyThoseItCancelled()
    {
        using var admin = await app.ApiClientAsync();
        var id = (await PublishedAsync(admin, Activity(await OrganizationAsync(admin), InDays(3), capacity: 5))).GetProperty("id").GetGuid();
        var session = (await ViewAsync(admin, id)).Sessions[0].Id;
        var v = await app.VolunteersAsync(12);
        var race = new Race(app);

        var storm = await Race.AtOnceAsync("a cancellation among twelve sign-ups", 13, i => i == 0
            ? admin.PostJsonAsync($"/api/activities/{id}/cancellation", new { reason = "场地停电" })
            : v[i - 1].Client.SignUpAsync(session));
        race.Expect(storm, 1, 13);
        race.Check(storm.Attempts[0].Succeeded, $"the cancellation went through: {storm.Attempts[0]}");
        race.CheckEqual(0, await app.WithDbAsync(db => db.SignUps.CountAsync(s => s.Status != SignUpStatus.Cancelled)), "sign-ups holding or waiting for a place");
        var counters = await app.WithDbAsync(db => db.ActivitySessions.AsNoTracking().Select(s => new { s.Accepted, s.Waitlisted }).SingleAsync());
        race.CheckEqual((0, 0), (counters.Accepted, counters.Waitlisted), "the session's counters");
        // Those whose sign-up the cancellation cancelled are told; those refused (it came first) were told by their refusal.
        var cancelledByIt = await app.WithDbAsync(db => db.SignUps.CountAsync(s => s.Status == SignUpStatus.Cancelled));
        race.CheckEqual(cancelledByIt, (await MessagesAsync()).Count(m => m.Kind == MessageKind.ActivityCancelled), "cancellation messages");
        race.CheckEqual(cancelledByIt, storm.Attempts.Skip(1).Count(a => a.Succeeded), "sign-ups accepted before the cancellation, and cancelled by it");
        await race.AssertNoneAsync();
    }

    [Fact]
    public async Task ASessionMovedDuringASignUpStormNeverLeavesAVolunteerInTwoPlacesAtOnce()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var id = (await PublishedAsync(admin, Activity(host, InDays(3), capacity: 20))).GetProperty("id").GetGuid();
        var other = SessionId(await PublishedAsync(admin, Activity(host, InDays(4), capacity: 20, title: "敬老院探访")));
        var view = await ViewAsync(admin, id);
        var v = await app.VolunteersAsync(10);
        // Everyone is signed up for the other activity, on the day the session is being moved to.
        foreach (var (_, client) in v)
        {
            await client.SignUpAsync(other).OkJsonAsync();
        }
        var race = new Race(app);
        var edit = EditActivityRequest.From(view) with { Sessions = With(view, 0, s => Moved(s, InDays(4, 10))) };
        var storm = await Race.AtOnceAsync("a move among ten sign-ups", 11, i => i == 0 ? EditAsync(admin, id, edit) : v[i - 1].Client.SignUpAsync(view.Sessions[0].Id));
        race.Expect(storm, 0, 11);

        // Whichever came first, nobody holds two sessions that overlap.
        var live = await app.WithDbAsync(db => db.SignUps.AsNoTracking().Where(s => s.Status == SignUpStatus.Accepted || s.Status == SignUpStatus.Waitlisted || s.Status == SignUpStatus.Pending)
            .Select(s => new { s.VolunteerId, s.Session!.StartsAtUtc, s.Session.EndsAtUtc }).ToListAsync());
        var doubled = live.GroupBy(s => s.VolunteerId)
            .Count(g => g.Any(a => g.Any(b => !ReferenceEquals(a, b) && a.StartsAtUtc < b.EndsAtUtc && b.StartsAtUtc < a.EndsAtUtc)));
        race.CheckEqual(0, doubled, $"volunteers in two places at once ({storm.Summary})");
        var moved = storm.Attempts[0].Succeeded;
        var joined = storm.Attempts.Skip(1).Count(a => a.Succeeded);
        race.Check(!moved || joined == 0, $"the session moved onto everyone's other sign-up, yet {joined} joined it");
        race.Check(moved || joined > 0, $"the move was refused although nobody had joined: {storm.Attempts[0]}");
        await race.AssertNoneAsync();
    }
}
