using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Messages;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>The message centre under simultaneous requests: reading is idempotent, and an event raced twenty times tells its person once.</summary>
public sealed class MessageRaceTests : AppTest
{
    [Fact]
    [Races("POST /api/messages/{id}/read", "POST /api/messages/read-all")]
    public async Task TwentySimultaneousOpeningsKeepTheFirstReadTimeAndTwentyReadAllsMarkEachMessageOnce()
    {
        var v = (await app.VolunteersAsync(1))[0];
        var userId = await app.WithDbAsync(db => db.Volunteers.Where(x => x.Number == v.Number).Select(x => x.UserId!).SingleAsync());
        var now = DateTime.UtcNow;
        var ids = await app.WithDbAsync(async db =>
        {
            var added = Enumerable.Range(0, 30).Select(i => Inbox.Tell(db, userId, MessageKind.HoursConfirmed, "/me/record", now.AddSeconds(-i), $"活动{i}", "2026-01-01 09:00", "1")!.Id).ToList();
            await db.SaveChangesAsync();
            return added;
        });
        await using var node2 = new TestApp(app.Database);
        using var otherPhone = await node2.ApiClientAsync(v.Number, People.Password);
        var phones = new[] { v.Client, otherPhone };
        var race = new Race(app);

        // One message opened twenty times at once on two phones: every answer shows it read, all at the same time.
        var opened = await race.RunAsync("open one message ×20", Race.N, i => phones[i % 2].PostAsync($"/api/messages/{ids[0]}/read", null), Race.N, Race.N);
        var readTimes = opened.Attempts.Where(a => a.Succeeded).Select(a => JsonDocument.Parse(a.Body).RootElement.GetProperty("readAtUtc").GetDateTime()).Distinct().ToList();
        race.CheckEqual(1, readTimes.Count, "distinct read times told by twenty simultaneous openings");
        var stored = await app.WithDbAsync(db => db.Messages.Where(m => m.Id == ids[0]).Select(m => m.ReadAtUtc).SingleAsync());
        race.Check(readTimes.Count == 1 && stored == readTimes[0], $"the stored read time {stored:O} is the one every answer told ({string.Join(", ", readTimes.Select(t => t.ToString("O")))})");

        // "Mark all read" pressed twenty times at once: the 29 left are marked once between them.
        var marked = await race.RunAsync("mark all read ×20", Race.N, i => phones[i % 2].PostAsync("/api/messages/read-all", null), Race.N, Race.N);
        var total = marked.Attempts.Where(a => a.Succeeded).Sum(a => JsonDocument.Parse(a.Body).RootElement.GetProperty("marked").GetInt32());
        race.CheckEqual(29, total, "messages marked read by twenty simultaneous read-alls");
        race.CheckEqual(0, await app.WithDbAsync(db => db.Messages.CountAsync(m => m.ReadAtUtc == null)), "unread messages left");
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("DELETE /api/sessions/{sessionId}/signups/me")]
    public async Task TwentySimultaneousIdenticalCancellationsThatFreeAPlaceTellTheFirstWaitingVolunteerExactlyOnce()
    {
        using var admin = await app.ApiClientAsync();
        var session = SessionId(await PublishedAsync(admin, Activity(await OrganizationAsync(admin), InDays(3), capacity: 1)));
        var v = await app.VolunteersAsync(3);
        foreach (var (_, client) in v)
        {
            await client.SignUpAsync(session).OkJsonAsync();
        }
        await using var node2 = new TestApp(app.Database);
        var race = new Race(app);
        async Task<List<(string Number, MessageKind Kind)>> MessagesAsync()
        {
            var rows = await app.WithDbAsync(db => db.Messages.AsNoTracking()
                .Join(db.Volunteers, m => m.RecipientUserId, x => x.UserId, (m, x) => new { x.Number, m.Kind }).ToListAsync());
            return rows.Select(r => (r.Number, r.Kind)).ToList();
        }

        // The accepted volunteer presses "cancel" twenty times at once on two phones: one place freed, the first in line told once.
        for (var k = 0; k < 2; k++)
        {
            using var otherPhone = await node2.ApiClientAsync(v[k].Number, People.Password);
            var phones = new[] { v[k].Client, otherPhone };
            await race.ExactlyOnceAsync($"volunteer {k + 1} cancels ×20", i => phones[i % 2].DeleteAsync($"/api/sessions/{session}/signups/me"));
            var promoted = v[k + 1].Number;
            var messages = await MessagesAsync();
            race.CheckEqual(k + 1, messages.Count, $"messages after volunteer {k + 1}'s cancellations");
            race.CheckEqual(1, messages.Count(m => m.Number == promoted && m.Kind == MessageKind.WaitlistPromoted), $"promotion messages to {promoted}");
            race.CheckEqual(SignUpStatus.Accepted, await app.WithDbAsync(db => db.SignUps.Where(s => s.SessionId == session && s.Volunteer!.Number == promoted).Select(s => s.Status).SingleAsync()),
                $"{promoted}'s sign-up after the place was freed");
        }
        await race.AssertNoneAsync();
    }
}
