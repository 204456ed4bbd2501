using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Activities;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Activities;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Walk-ins, absences and partial confirmation pressed twenty times at once, on two nodes of one database.</summary>
public sealed class WalkInRaceTests : AppTest
{
    static void MoveTo(DateTimeOffset instant, params TestApp[] nodes)
    {
        foreach (var node in nodes)
        {
            node.Clock.Offset = instant - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);
        }
    }

    Task<int> SignUpsAsync(Guid session, bool walkIn) => app.WithDbAsync(db => db.SignUps.CountAsync(s => s.SessionId == session && s.WalkIn == walkIn));

    async Task CheckCountersAsync(Race race, Guid session, int accepted, int waitlisted, string after)
    {
        var counters = await app.WithDbAsync(db => db.ActivitySessions.AsNoTracking().Where(s => s.Id == session).Select(s => new { s.Accepted, s.Waitlisted }).SingleAsync());
        race.CheckEqual(accepted, counters.Accepted, $"places taken after {after}");
        race.CheckEqual(waitlisted, counters.Waitlisted, $"waitlist after {after}");
        await race.CheckIntegrityAsync(after);
    }

    [Fact]
    [Races("POST /api/sessions/{sessionId}/walk-ins", "POST /api/sessions/{sessionId}/walk-ins/photo", "POST /api/sessions/{sessionId}/walk-ins/registrations")]
    public async Task AddingTheSameWalkInTwentyTimesAtOnceByNumberPhotoOrRegistrationMakesOneSignUpAndTakesNoPlace()
    {
        using var setup = await app.ApiClientAsync();
        var start = InDays(1, 9);
        var session = SessionId(await PublishedAsync(setup, Activity(await OrganizationAsync(setup), start, capacity: 1, hours: 3)));
        var v = await app.VolunteersAsync(4);
        await v[0].Client.SignUpAsync(session).OkJsonAsync();
        await v[1].Client.SignUpAsync(session).OkJsonAsync(); // waitlisted: the session is full
        var certificate = "http://localhost" + (await v[3].Client.GetAsync("/api/volunteers/me/certificate").OkJsonAsync()).GetProperty("verifyPath").GetString();
        await using var node2 = new TestApp(app.Database);
        var race = new Race(app);
        MoveTo(start.AddMinutes(15), app, node2);
        using var leader1 = await app.ApiClientAsync();
        using var leader2 = await node2.ApiClientAsync();
        var leaders = new[] { leader1, leader2 };

        // Two leaders' phones add the same volunteer twenty times at once: one walk-in, checked in, no place taken.
        await race.RunAsync("add one walk-in by number ×20", Race.N,
            i => leaders[i % 2].PostAsJsonAsync($"/api/sessions/{session}/walk-ins", new { volunteer = v[2].Number }), 1, Race.N);
        race.CheckEqual(1, await SignUpsAsync(session, walkIn: true), "walk-ins after twenty additions of one volunteer");
        await CheckCountersAsync(race, session, 1, 1, "twenty additions of one walk-in");

        // The waitlisted volunteer turns up: twenty additions at once take them off the waitlist once.
        await race.RunAsync("add a waitlisted volunteer on site ×20", Race.N,
            i => leaders[i % 2].PostAsJsonAsync($"/api/sessions/{session}/walk-ins", new { volunteer = v[1].Number }), 1, Race.N);
        race.CheckEqual(2, await SignUpsAsync(session, walkIn: true), "walk-ins after the waitlisted volunteer was added twenty times");
        await CheckCountersAsync(race, session, 1, 0, "twenty additions of a waitlisted volunteer");

        // The same certificate photographed twenty times at once.
        var photo = CertificatePhotos.Qr(certificate);
        await race.RunAsync("add a walk-in from the certificate photo ×20", Race.N,
            i => leaders[i % 2].PostAsync($"/api/sessions/{session}/walk-ins/photo", CertificatePhotos.Upload(photo, "qr.png")), 1, Race.N);
        race.CheckEqual(3, await SignUpsAsync(session, walkIn: true), "walk-ins after twenty photos of one certificate");
        await CheckCountersAsync(race, session, 1, 0, "twenty photos of one certificate");

        // A newcomer registered on the spot twenty times at once: one volunteer, one walk-in.
        var body = new { name = "林晓", documentType = "ResidentId", documentNumber = People.ResidentId(1988, 411), mobile = "13600000411" };
        await race.RunAsync("register a newcomer on site ×20", Race.N,
            i => leaders[i % 2].PostAsJsonAsync($"/api/sessions/{session}/walk-ins/registrations", body), 1, Race.N);
        race.CheckEqual(1, await app.WithDbAsync(db => db.Volunteers.CountAsync(x => x.Name == "林晓")), "volunteers registered by twenty simultaneous registrations");
        race.CheckEqual(4, await SignUpsAsync(session, walkIn: true), "walk-ins after twenty registrations of one newcomer");
        var numbers = await app.WithDbAsync(db => db.Volunteers.Select(x => x.Number).ToListAsync());
        race.CheckEqual(numbers.Count, numbers.Distinct().Count(), "distinct volunteer numbers");
        await CheckCountersAsync(race, session, 1, 0, "twenty registrations of one newcomer");
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("POST /api/sessions/{sessionId}/absences", "DELETE /api/sessions/{sessionId}/absences/{signUpId}", "POST /api/sessions/{sessionId}/confirm")]
    public async Task AbsencesAndPartialConfirmationsPressedTwentyTimesAtOnceNeverCreditAnAbsentOrTwice()
    {
        using var setup = await app.ApiClientAsync();
        var start = InDays(1, 9);
        var session = SessionId(await PublishedAsync(setup, Activity(await OrganizationAsync(setup), start, capacity: 5, hours: 3)));
        var v = await app.VolunteersAsync(4);
        foreach (var (_, client) in v)
        {
            await client.SignUpAsync(session).OkJsonAsync();
        }
        await using var node2 = new TestApp(app.Database);
        MoveTo(start.AddHours(4), app, node2);
        using var admin1 = await app.ApiClientAsync();
        using var admin2 = await node2.ApiClientAsync();
        var admins = new[] { admin1, admin2 };
        foreach (var (number, _) in v)
        {
            await admin1.PostJsonAsync($"/api/sessions/{session}/roster/{number}", new { checkedInAt = start, checkedOutAt = start.AddHours(2) }).OkJsonAsync();
        }
        var ids = (await admin1.GetAsync($"/api/sessions/{session}/leader").OkJsonAsync()).GetProperty("roster").EnumerateArray()
            .ToDictionary(r => r.GetProperty("volunteerNumber").GetString()!, r => r.GetProperty("signUpId").GetGuid());
        var race = new Race(app);

        // The first is marked absent twenty times at once: marked once, with one audit entry.
        await race.RunAsync("mark one absent ×20", Race.N, i => admins[i % 2].PostJsonAsync($"/api/sessions/{session}/absences",
            new { signUpIds = new[] { ids[v[0].Number] }, reason = "未到场" }), 1, Race.N);
        race.CheckEqual(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "attendance.absent")), "audit entries of one absence");

        // Taken back twenty times at once: once.
        await race.ExactlyOnceAsync("undo one absence ×20", i => admins[i % 2].DeleteAsync($"/api/sessions/{session}/absences/{ids[v[0].Number]}"));

        // Two chosen attendances confirmed twenty times at once: each credited once.
        var chosen = new[] { ids[v[0].Number], ids[v[1].Number] };
        var confirmations = await race.RunAsync("confirm two chosen attendances ×20", Race.N,
            i => admins[i % 2].PostJsonAsync($"/api/sessions/{session}/confirm", new { signUpIds = chosen }), 1, Race.N);
        race.CheckEqual(2, confirmations.Attempts.Where(a => a.Succeeded).Sum(a => JsonDocument.Parse(a.Body).RootElement.GetProperty("confirmed").GetInt32()),
            "attendances the confirmations say they credited");
        race.CheckEqual(2, await app.WithDbAsync(db => db.LedgerEntries.CountAsync(e => e.SessionId == session)), "ledger entries after twenty partial confirmations");

        // The third marked absent and confirmed at the same moment: never both absent and credited.
        await race.RunAsync("mark absent and confirm the same attendance at once ×20", Race.N, i => i % 2 == 0
            ? admins[i / 2 % 2].PostJsonAsync($"/api/sessions/{session}/absences", new { signUpIds = new[] { ids[v[2].Number] }, reason = "签到存疑" })
            : admins[i / 2 % 2].PostJsonAsync($"/api/sessions/{session}/confirm", new { signUpIds = new[] { ids[v[2].Number] } }), 1, Race.N);
        var third = await app.WithDbAsync(db => db.SignUps.AsNoTracking().Where(s => s.Id == ids[v[2].Number]).Select(s => new { s.AbsenceReason, s.LedgerEntryId }).SingleAsync());
        race.Check(third.AbsenceReason is null != third.LedgerEntryId is null, $"the third attendance is either absent ({third.AbsenceReason}) or credited ({third.LedgerEntryId}), exactly one");
        race.CheckEqual(third.LedgerEntryId is null ? 2 : 3, await app.WithDbAsync(db => db.LedgerEntries.CountAsync(e => e.SessionId == session)),
            "ledger entries after marking and confirming at once");
        await race.AssertNoneAsync();
    }
}
