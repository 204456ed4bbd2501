using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Hours;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Attendance, confirmation and corrections under simultaneous requests: every minute reaches the ledger once.</summary>
public sealed class HourRaceTests : AppTest
{
    /// <summary>Moves both nodes' clocks to the instant plus a few seconds.</summary>
    static void MoveTo(DateTimeOffset instant, params TestApp[] nodes)
    {
        foreach (var node in nodes)
        {
            node.Clock.Offset = instant - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);
        }
    }

    [Fact]
    [Races("POST /api/sessions/{sessionId}/attendance", "POST /api/sessions/{sessionId}/roster/{number}", "POST /api/sessions/{sessionId}/confirm",
        "POST /api/sessions/{sessionId}/correction-requests", "POST /api/hours/entries/{id}/correction", "POST /api/hours/correction-requests/{id}/decline")]
    public async Task CheckInConfirmationAndCorrectionsPressedTwentyTimesAtOnceCreditEachAttendanceOnce()
    {
        using var setup = await app.ApiClientAsync();
        var start = InDays(1, 9);
        var session = SessionId(await PublishedAsync(setup, Activity(await OrganizationAsync(setup), start, capacity: 5, hours: 3)));
        var v = await app.VolunteersAsync(3);
        foreach (var (_, client) in v)
        {
            await client.SignUpAsync(session).OkJsonAsync();
        }
        await using var node2 = new TestApp(app.Database);
        var race = new Race(app);

        // Ten minutes before the start the first volunteer scans the leader's code on two phones, twenty times: one check-in.
        MoveTo(start.AddMinutes(-10), app, node2);
        using var leader = await app.ApiClientAsync();
        var code = (await leader.GetAsync($"/api/sessions/{session}/leader").OkJsonAsync()).GetProperty("code").GetString();
        using var phone1 = await app.ApiClientAsync(v[0].Number, People.Password);
        using var phone2 = await node2.ApiClientAsync(v[0].Number, People.Password);
        await race.ExactlyOnceAsync("scan one check-in code ×20", i => (i % 2 == 0 ? phone1 : phone2).PostJsonAsync($"/api/sessions/{session}/attendance", new { code }));

        // After the session the leader enters the second volunteer's times twenty times at once (the same times: each may succeed).
        MoveTo(start.AddHours(4), app, node2);
        using var admin1 = await app.ApiClientAsync();
        using var admin2 = await node2.ApiClientAsync();
        var admins = new[] { admin1, admin2 };
        await race.RunAsync("enter the same roster times ×20", Race.N,
            i => admins[i % 2].PostJsonAsync($"/api/sessions/{session}/roster/{v[1].Number}", new { checkedInAt = start, checkedOutAt = start.AddHours(2) }), 1, Race.N);
        await admin1.PostJsonAsync($"/api/sessions/{session}/roster/{v[2].Number}", new { checkedInAt = start.AddHours(1), checkedOutAt = start.AddHours(3) }).OkJsonAsync();

        // Twenty confirmations at once: each attendance credited once, and the answers together report three.
        var confirmations = await race.RunAsync("confirm the session ×20", Race.N, i => admins[i % 2].PostEmptyAsync($"/api/sessions/{session}/confirm"), 1, Race.N);
        var reported = confirmations.Attempts.Where(a => a.Succeeded).Sum(a => JsonDocument.Parse(a.Body).RootElement.GetProperty("confirmed").GetInt32());
        race.CheckEqual(3, reported, "attendances the confirmations say they credited");
        var credits = await app.WithDbAsync(db => db.LedgerEntries.Where(e => e.SessionId == session).Select(e => new { e.VolunteerId, e.Minutes, e.Kind }).ToListAsync());
        race.CheckEqual(3, credits.Count, "ledger entries for three attendances");
        race.CheckEqual(3, credits.Select(c => c.VolunteerId).Distinct().Count(), "volunteers credited");
        race.CheckEqual(180 + 120 + 120, credits.Sum(c => c.Minutes), "minutes credited");
        await race.CheckIntegrityAsync("the confirmations");
        await race.CheckTotalsAsync("the confirmations");
        var creditedIds = credits.Select(c => c.VolunteerId).ToList();
        race.CheckEqual(420, await app.WithDbAsync(db => db.ConfirmedTotals.Where(t => creditedIds.Contains(t.VolunteerId)).SumAsync(t => t.Minutes)),
            "minutes in the three volunteers' kept totals");

        // The first volunteer asks for a correction twenty times at once (signed in again: the clock moved past the tokens): one open request.
        using var later1 = await app.ApiClientAsync(v[0].Number, People.Password);
        using var later2 = await node2.ApiClientAsync(v[0].Number, People.Password);
        await race.ExactlyOnceAsync("ask for a correction ×20",
            i => (i % 2 == 0 ? later1 : later2).PostJsonAsync($"/api/sessions/{session}/correction-requests", new { message = "我 11 点就离开了" }));
        race.CheckEqual(1, await app.WithDbAsync(db => db.CorrectionRequests.CountAsync()), "correction requests");

        // The second volunteer's entry is corrected twenty times at once: one reversal and one new entry.
        var entry = await app.WithDbAsync(db => db.LedgerEntries.Where(e => e.SessionId == session && e.Volunteer!.Number == v[1].Number).Select(e => (Guid?)e.Id).FirstOrDefaultAsync());
        race.Check(entry is not null, $"{v[1].Number} has a ledger entry to correct");
        if (entry is not null)
        {
            await race.ExactlyOnceAsync("correct one ledger entry ×20", i => admins[i % 2].PostJsonAsync($"/api/hours/entries/{entry}/correction",
                new { startAt = start, endAt = start.AddHours(1), reason = "签退时间有误" }));
            var kinds = await app.WithDbAsync(db => db.LedgerEntries.Where(e => e.SessionId == session && e.Volunteer!.Number == v[1].Number).Select(e => e.Kind).ToListAsync());
            race.CheckEqual(1, kinds.Count(k => k == LedgerEntryKind.Reversal), "reversals of the corrected entry");
            race.CheckEqual(1, kinds.Count(k => k == LedgerEntryKind.Correction), "correction entries");
            await race.CheckTotalsAsync("the corrections");
        }

        // The first volunteer's request is declined twenty times at once: once.
        var request = await app.WithDbAsync(db => db.CorrectionRequests.Select(r => (Guid?)r.Id).FirstOrDefaultAsync());
        race.Check(request is not null, "a correction request to decline");
        await race.ExactlyOnceAsync("decline a correction request ×20",
            i => admins[i % 2].PostJsonAsync($"/api/hours/correction-requests/{request}/decline", new { approve = false, reason = "签到记录无误" }));
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("POST /api/sessions/{sessionId}/confirm")]
    public async Task TwoOrganisationsConfirmingOverlappingSessionsOfOneVolunteerAtOnceNeverCreditMoreThanTheUnionOfTime()
    {
        using var city = await app.ApiClientAsync();
        var first = await OrganizationAsync(city, "端州区青年志愿者协会", "441202");
        var second = await OrganizationAsync(city, "鼎湖区义工联", "441203");
        var day = 1;
        var morning = SessionId(await PublishedAsync(city, Activity(first, InDays(day, 9), hours: 3, title: "上午场")));
        var later = SessionId(await PublishedAsync(city, Activity(second, InDays(day, 10), hours: 3, title: "重叠场")));
        var volunteer = (await app.VolunteersAsync(1))[0];
        await volunteer.Client.SignUpAsync(morning).OkJsonAsync();
        // Sign-up refuses the overlap; the second organisation's roster has them anyway (a paper list typed in), as an accepted sign-up with times.
        await app.WithDbAsync(async db =>
        {
            var id = await db.Volunteers.Where(x => x.Number == volunteer.Number).Select(x => x.Id).SingleAsync();
            db.SignUps.Add(new SignUp
            {
                SessionId = later, VolunteerId = id, Status = SignUpStatus.Accepted, RequestedAtUtc = DateTime.UtcNow, DecidedAtUtc = DateTime.UtcNow,
                CheckedInAtUtc = InDays(day, 10).UtcDateTime, CheckedOutAtUtc = InDays(day, 13).UtcDateTime,
            });
            await db.ActivitySessions.Where(s => s.Id == later).ExecuteUpdateAsync(s => s.SetProperty(x => x.Accepted, x => x.Accepted + 1));
            return await db.SaveChangesAsync();
        });
        await using var node2 = new TestApp(app.Database);
        MoveTo(InDays(day, 15), app, node2);
        using var firstAdmin = await app.ApiClientAsync();
        using var secondAdmin = await node2.ApiClientAsync();
        await firstAdmin.PostJsonAsync($"/api/sessions/{morning}/roster/{volunteer.Number}", new { checkedInAt = InDays(day, 9), checkedOutAt = InDays(day, 12) }).OkJsonAsync();

        var race = new Race(app);
        await race.RunAsync("two organisations confirm overlapping sessions ×20", Race.N,
            i => i % 2 == 0 ? firstAdmin.PostEmptyAsync($"/api/sessions/{morning}/confirm") : secondAdmin.PostEmptyAsync($"/api/sessions/{later}/confirm"), 2, Race.N);
        var volunteerId = await app.WithDbAsync(db => db.Volunteers.Where(x => x.Number == volunteer.Number).Select(x => x.Id).SingleAsync());
        var credited = await app.WithDbAsync(async db => (await db.EffectiveCredits.Where(c => c.VolunteerId == volunteerId).Select(c => new { c.StartUtc, c.EndUtc }).ToListAsync())
            .Sum(c => (int)(c.EndUtc - c.StartUtc).TotalMinutes));
        race.Check(credited <= 240, $"effective credits hold {credited} minutes; the union of 09:00–12:00 and 10:00–13:00 is 240");
        using var own = await app.ApiClientAsync(volunteer.Number, People.Password);
        var total = (await own.GetAsync("/api/volunteers/me/record").OkJsonAsync()).GetProperty("totalMinutes").GetInt32();
        race.Check(total <= 240, $"the volunteer's record shows {total} minutes; the union of the two sessions is 240");
        var kept = await app.WithDbAsync(db => db.ConfirmedTotals.Where(t => t.VolunteerId == volunteerId).Select(t => t.Minutes).SingleOrDefaultAsync());
        race.CheckEqual(total, kept, "minutes in the volunteer's kept total");
        await race.AssertNoneAsync();
    }
}
