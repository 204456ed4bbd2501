using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Hours;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Activities;

public sealed class AttendanceAndHoursTests : AppTest
{
    /// <summary>A session starting on the next full hour plus one, so that sign-up is still open now.</summary>
    static DateTimeOffset NextHour(int plusHours = 1)
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(1 + plusHours).ToOffset(China);
    }

    async Task<HttpClient> AgainAsync(string userName, string password = People.Password) => await app.ApiClientAsync(userName, password);

    static async Task<string> CodeAsync(HttpClient leader, Guid session) =>
        (await OkAsync(await leader.GetAsync($"/api/sessions/{session}/leader"))).GetProperty("code").GetString()!;

    /// <summary>Moves the clock to the given instant plus a few seconds (tokens expire on the way, so clients are made afresh).</summary>
    void MoveTo(DateTimeOffset instant) => app.Clock.Offset = instant - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);

    [Fact]
    public async Task QrCheckInAndOutBecomeConfirmedHoursWhichTheVolunteerSeesInTheRecord()
    {
        using var setup = await app.ApiClientAsync();
        var start = NextHour();
        var activity = await PublishedAsync(setup, Activity(await OrganizationAsync(setup), start, capacity: 5, hours: 3));
        var session = SessionId(activity);
        var v = await app.VolunteersAsync(3);
        foreach (var (_, client) in v)
        {
            await OkAsync(await client.SignUpAsync(session));
        }

        // Ten minutes before the start the leader shows the code; the first volunteer scans it.
        MoveTo(start.AddMinutes(-10));
        using var leader = await app.ApiClientAsync();
        var code = await CodeAsync(leader, session);
        using var first = await AgainAsync(v[0].Number);
        var checkedIn = await OkAsync(await first.PostAsJsonAsync($"/api/sessions/{session}/attendance", new { code }));
        Assert.Contains("签到成功", checkedIn.GetProperty("message").GetString());
        // The same code again (a replay, or a photo of it) is refused, as are forged ones.
        await Pages.AssertFieldErrorAsync(await first.PostAsJsonAsync($"/api/sessions/{session}/attendance", new { code }), "code", "用过");
        await Pages.AssertFieldErrorAsync(await first.PostAsJsonAsync($"/api/sessions/{session}/attendance", new { code = code[..^2] + "xx" }), "code", "无效");
        // Someone who did not sign up gets no attendance from a valid code.
        var outsider = (await app.VolunteersAsync(1, firstSerial: 500))[0];
        await Pages.AssertFieldErrorAsync(await outsider.Client.PostAsJsonAsync($"/api/sessions/{session}/attendance", new { code }), "code", "没有该时段的录取名额");

        // The second volunteer checks in with a code three minutes old: expired.
        MoveTo(start.AddMinutes(-7));
        using var second = await AgainAsync(v[1].Number);
        await Pages.AssertFieldErrorAsync(await second.PostAsJsonAsync($"/api/sessions/{session}/attendance", new { code }), "code", "过期");
        using var leaderLater = await app.ApiClientAsync();
        await OkAsync(await second.PostAsJsonAsync($"/api/sessions/{session}/attendance", new { code = await CodeAsync(leaderLater, session) }));

        // Leaving: the first volunteer 30 minutes late (counts to the end), the second forgets to check out,
        // the third never came but the leader ticks them in by hand at the hour.
        MoveTo(start.AddHours(1));
        using var leaderRoster = await app.ApiClientAsync();
        await OkAsync(await leaderRoster.PostAsJsonAsync($"/api/sessions/{session}/roster/{v[2].Number}", new { action = "checkIn" }));
        // Check-out before check-in, and times beyond the session, are refused by name.
        await Pages.AssertFieldErrorAsync(await leaderRoster.PostAsJsonAsync($"/api/sessions/{session}/roster/{v[2].Number}",
            new { checkedInAt = start.AddHours(2), checkedOutAt = start.AddHours(1) }), "checkedOutAt", "签退时间必须晚于签到时间");
        await Pages.AssertFieldErrorAsync(await leaderRoster.PostAsJsonAsync($"/api/sessions/{session}/roster/{v[2].Number}",
            new { checkedInAt = start.AddHours(1), checkedOutAt = start.AddHours(5) }), "checkedOutAt", "之内");
        MoveTo(start.AddHours(2));
        using var leaderLeaving = await app.ApiClientAsync();
        await OkAsync(await leaderLeaving.PostAsJsonAsync($"/api/sessions/{session}/roster/{v[2].Number}", new { action = "checkOut" }));
        MoveTo(start.AddHours(3.5));
        using var leaderEnd = await app.ApiClientAsync();
        var outCode = await CodeAsync(leaderEnd, session);
        using var firstOut = await AgainAsync(v[0].Number);
        Assert.Contains("签退成功", (await OkAsync(await firstOut.PostAsJsonAsync($"/api/sessions/{session}/attendance", new { code = outCode }))).GetProperty("message").GetString());

        MoveTo(start.AddHours(5.5));
        using var organisation = await app.ApiClientAsync();
        // Confirmation: 180 minutes each for the first two (the forgotten check-out counts to the end and is flagged), and one hour ticked.
        var confirmed = await OkAsync(await organisation.PostAsync($"/api/sessions/{session}/confirm", null));
        Assert.Equal(3, confirmed.GetProperty("confirmed").GetInt32());
        var ledger = await OkAsync(await organisation.GetAsync($"/api/sessions/{session}/ledger"));
        var minutes = ledger.EnumerateArray().ToDictionary(e => e.GetProperty("volunteerNumber").GetString()!, e => e.GetProperty("minutes").GetInt32());
        Assert.Equal(180, minutes[v[0].Number]);
        Assert.Equal(180, minutes[v[1].Number]); // checked in before the start, never out: counted start to end
        Assert.InRange(minutes[v[2].Number], 59, 60);
        Assert.True(ledger.EnumerateArray().Single(e => e.GetProperty("volunteerNumber").GetString() == v[1].Number).GetProperty("checkOutMissing").GetBoolean());
        // Confirming again credits nobody twice.
        Assert.Equal(0, (await OkAsync(await organisation.PostAsync($"/api/sessions/{session}/confirm", null))).GetProperty("confirmed").GetInt32());

        // The volunteer's service record holds the line, with place, content, unit and the person responsible.
        using var firstAfter = await AgainAsync(v[0].Number);
        var record = await OkAsync(await firstAfter.GetAsync("/api/volunteers/me/record"));
        Assert.Equal(180, record.GetProperty("totalMinutes").GetInt32());
        var line = record.GetProperty("lines")[0];
        Assert.Equal("西江河畔清洁行动", line.GetProperty("activity").GetString());
        Assert.Equal("肇庆市端州区西江南路", line.GetProperty("place").GetString());
        Assert.Equal("陈队长", line.GetProperty("responsiblePerson").GetString());
        Assert.Contains("端州区青年志愿者协会", line.GetProperty("organizingUnit").GetString());
        var csv = await firstAfter.GetStringAsync("/api/volunteers/me/record.csv");
        Assert.Contains("西江河畔清洁行动", csv);
        Assert.Contains(",3.00,", csv);
    }

    [Fact]
    public async Task CorrectionsAreAReversalAndANewEntryAndTheLedgerRefusesEditsAndDeletes()
    {
        using var setup = await app.ApiClientAsync();
        var host = await OrganizationAsync(setup);
        var start = NextHour();
        var morning = await PublishedAsync(setup, Activity(host, start, hours: 3, title: "上午场"));
        var v = (await app.VolunteersAsync(1))[0];
        await OkAsync(await v.Client.SignUpAsync(SessionId(morning)));

        MoveTo(start.AddHours(4));
        using var admin = await app.ApiClientAsync();
        // The leader enters the times afterwards: 09:00-ish to the end.
        await OkAsync(await admin.PostAsJsonAsync($"/api/sessions/{SessionId(morning)}/roster/{v.Number}", new { checkedInAt = start, checkedOutAt = start.AddHours(3) }));
        await OkAsync(await admin.PostAsync($"/api/sessions/{SessionId(morning)}/confirm", null));
        var entry = (await OkAsync(await admin.GetAsync($"/api/sessions/{SessionId(morning)}/ledger")))[0];
        Assert.Equal(180, entry.GetProperty("minutes").GetInt32());

        // The volunteer says they left an hour early, asks for a correction; the organisation corrects it.
        using var volunteer = await AgainAsync(v.Number);
        await Pages.AssertFieldErrorAsync(await volunteer.PostAsJsonAsync($"/api/sessions/{SessionId(morning)}/correction-requests", new { message = "" }), "message", "");
        await OkAsync(await volunteer.PostAsJsonAsync($"/api/sessions/{SessionId(morning)}/correction-requests", new { message = "我 11 点就离开了" }));
        var pending = await OkAsync(await admin.GetAsync("/api/hours/pending"));
        var request = pending.GetProperty("correctionRequests")[0];
        Assert.Equal(v.Number, request.GetProperty("volunteerNumber").GetString());

        var entryId = entry.GetProperty("id").GetGuid();
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync($"/api/hours/entries/{entryId}/correction", new { startAt = start, endAt = start.AddHours(2) }), "reason", "");
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync($"/api/hours/entries/{entryId}/correction",
            new { startAt = start, endAt = start.AddHours(5), reason = "x" }), "endAt", "不能超出时段");
        var corrected = await OkAsync(await admin.PostAsJsonAsync($"/api/hours/entries/{entryId}/correction",
            new { startAt = start, endAt = start.AddHours(2), reason = "志愿者申请：提前离开", correctionRequestId = request.GetProperty("id").GetGuid() }));
        Assert.Equal([180, -180, 120], corrected.EnumerateArray().Select(e => e.GetProperty("minutes").GetInt32()));
        Assert.Equal(["Confirmed", "Reversal", "Correction"], corrected.EnumerateArray().Select(e => e.GetProperty("kind").GetString()));
        Assert.All(corrected.EnumerateArray().Skip(1), e => Assert.Equal("志愿者申请：提前离开", e.GetProperty("reason").GetString()));
        // An entry reversed once cannot be reversed again.
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync($"/api/hours/entries/{entryId}/correction", new { reason = "again" }), "entry", "冲销");

        var record = await OkAsync(await volunteer.GetAsync("/api/volunteers/me/record"));
        Assert.Equal(120, record.GetProperty("totalMinutes").GetInt32());
        Assert.Equal("Corrected", record.GetProperty("correctionRequests")[0].GetProperty("status").GetString());

        // The database itself refuses to edit or delete a ledger line.
        await Assert.ThrowsAnyAsync<Exception>(() => app.WithDbAsync(db => db.LedgerEntries.ExecuteUpdateAsync(u => u.SetProperty(e => e.Minutes, 999))));
        await Assert.ThrowsAnyAsync<Exception>(() => app.WithDbAsync(db => db.LedgerEntries.ExecuteDeleteAsync()));
        Assert.Equal(120, await app.WithDbAsync(db => db.LedgerEntries.SumAsync(e => e.Minutes)));
    }

    [Fact]
    public async Task OverlappingActivitiesAreNotCreditedTwiceAndEachEntryKeepsTheUnitOfItsTime()
    {
        using var setup = await app.ApiClientAsync();
        var host = await OrganizationAsync(setup);
        var other = await OrganizationAsync(setup, "鼎湖区志愿者联合会", "441203");
        var start = NextHour();
        var first = await PublishedAsync(setup, Activity(host, start, hours: 3, title: "活动甲"));
        var second = await PublishedAsync(setup, Activity(other, start.AddHours(2), hours: 2, title: "活动乙"));
        var twoSameDay = await PublishedAsync(setup, Activity(host, start.AddHours(5), hours: 2, title: "活动丙") with
        {
            Sessions = [new Zhiyuan.Web.Activities.SessionRequest(start.AddHours(5), start.AddHours(7), 10, IsTraining: true)],
        });
        var v = (await app.VolunteersAsync(1))[0];
        await OkAsync(await v.Client.SignUpAsync(SessionId(first)));
        await OkAsync(await v.Client.SignUpAsync(SessionId(twoSameDay)));

        // Signed up for the first only (the second overlaps), but an organiser records them at both.
        MoveTo(start.AddHours(8));
        using var admin = await app.ApiClientAsync();
        await OkAsync(await admin.PostAsJsonAsync($"/api/sessions/{SessionId(first)}/roster/{v.Number}", new { checkedInAt = start, checkedOutAt = start.AddHours(3) }));
        await OkAsync(await admin.PostAsJsonAsync($"/api/sessions/{SessionId(twoSameDay)}/roster/{v.Number}", new { checkedInAt = start.AddHours(5), checkedOutAt = start.AddHours(7) }));
        await OkAsync(await admin.PostAsync($"/api/sessions/{SessionId(first)}/confirm", null));
        await OkAsync(await admin.PostAsync($"/api/sessions/{SessionId(twoSameDay)}/confirm", null));
        var secondSession = SessionId(second);
        await app.WithDbAsync(async db =>
        {
            // A walk-in added by the other organisation's database import: accepted and attended 2h–4h.
            var volunteerId = await db.Volunteers.Where(x => x.Number == v.Number).Select(x => x.Id).SingleAsync();
            db.SignUps.Add(new Zhiyuan.Web.Activities.SignUp
            {
                SessionId = secondSession, VolunteerId = volunteerId, Status = Zhiyuan.Web.Activities.SignUpStatus.Accepted,
                RequestedAtUtc = DateTime.UtcNow, CheckedInAtUtc = start.AddHours(2).UtcDateTime, CheckedOutAtUtc = start.AddHours(4).UtcDateTime,
            });
            return await db.SaveChangesAsync();
        });
        await OkAsync(await admin.PostAsync($"/api/sessions/{secondSession}/confirm", null));

        var entries = await app.WithDbAsync(db => db.LedgerEntries.Include(e => e.VolunteerUnit).OrderBy(e => e.StartUtc).ToListAsync());
        Assert.Equal([180, 60, 120], entries.Select(e => e.Minutes)); // 活动乙 credits 3h–4h only
        Assert.All(entries, e => Assert.Equal("441202", e.VolunteerUnit!.Code));

        // The afternoon was a training session: its completion is in the volunteer's record.
        using var volunteer = await AgainAsync(v.Number);
        var record = await OkAsync(await volunteer.GetAsync("/api/volunteers/me/record"));
        Assert.Equal("活动丙", Assert.Single(record.GetProperty("trainings").EnumerateArray()).GetProperty("activity").GetString());
        Assert.Equal(360, record.GetProperty("totalMinutes").GetInt32());

        // Moving the volunteer to another unit later changes none of the entries.
        await app.WithDbAsync(async db =>
        {
            var dinghu = await db.Units.Where(u => u.Code == "441203").Select(u => u.Id).SingleAsync();
            return await db.Volunteers.Where(x => x.Number == v.Number).ExecuteUpdateAsync(u => u.SetProperty(x => x.UnitId, dinghu));
        });
        Assert.All(await app.WithDbAsync(db => db.LedgerEntries.Select(e => e.VolunteerUnit!.Code).ToListAsync()), code => Assert.Equal("441202", code));
    }

    [Fact]
    public async Task UnconfirmedHoursAreListedWithTheirDueDateAndFlaggedOverdueAfterTenWorkingDays()
    {
        using var setup = await app.ApiClientAsync();
        var start = NextHour();
        var activity = await PublishedAsync(setup, Activity(await OrganizationAsync(setup), start));
        var v = (await app.VolunteersAsync(1))[0];
        await OkAsync(await v.Client.SignUpAsync(SessionId(activity)));
        MoveTo(start.AddMinutes(30));
        using var leader = await app.ApiClientAsync();
        await OkAsync(await leader.PostAsJsonAsync($"/api/sessions/{SessionId(activity)}/roster/{v.Number}", new { action = "checkIn" }));

        MoveTo(start.AddDays(1));
        using var admin = await app.ApiClientAsync();
        // The forgotten check-out is closed at the session's end and flagged.
        var roster = (await OkAsync(await admin.GetAsync($"/api/sessions/{SessionId(activity)}/leader"))).GetProperty("roster")[0];
        Assert.True(roster.GetProperty("checkOutMissing").GetBoolean());
        var pending = (await OkAsync(await admin.GetAsync("/api/hours/pending"))).GetProperty("sessions")[0];
        Assert.False(pending.GetProperty("overdue").GetBoolean());
        var due = DateOnly.Parse(pending.GetProperty("dueDate").GetString()!);
        Assert.Equal(ServiceTime.ConfirmationDue(DateOnly.FromDateTime(start.AddHours(3).ToOffset(China).DateTime)), due);

        MoveTo(new DateTimeOffset(due.AddDays(1).ToDateTime(new TimeOnly(9, 0)), China));
        using var later = await app.ApiClientAsync();
        Assert.True((await OkAsync(await later.GetAsync("/api/hours/pending"))).GetProperty("sessions")[0].GetProperty("overdue").GetBoolean());

        // Another county's administrator sees none of it.
        await app.CreateUnitAdminAsync("sihui", "441284", "Sihui-2019");
        using var sihui = await app.ApiClientAsync("sihui", "Sihui-2019");
        Assert.Equal(0, (await OkAsync(await sihui.GetAsync("/api/hours/pending"))).GetProperty("sessions").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await sihui.PostAsync($"/api/sessions/{SessionId(activity)}/confirm", null)).StatusCode);
    }

    [Fact]
    public async Task AGeofencedCheckInNeedsThePositionAndTheVolunteerNearby()
    {
        using var setup = await app.ApiClientAsync();
        var start = NextHour();
        var activity = await PublishedAsync(setup, Activity(await OrganizationAsync(setup), start) with { Latitude = 23.0475, Longitude = 112.4655, GeofenceMeters = 200 });
        var v = (await app.VolunteersAsync(1))[0];
        await OkAsync(await v.Client.SignUpAsync(SessionId(activity)));
        MoveTo(start);
        using var leader = await app.ApiClientAsync();
        var code = await CodeAsync(leader, SessionId(activity));
        using var volunteer = await AgainAsync(v.Number);
        await Pages.AssertFieldErrorAsync(await volunteer.PostAsJsonAsync($"/api/sessions/{SessionId(activity)}/attendance", new { code }), "code", "位置");
        await Pages.AssertFieldErrorAsync(await volunteer.PostAsJsonAsync($"/api/sessions/{SessionId(activity)}/attendance",
            new { code, latitude = 23.0575, longitude = 112.4655 }), "code", "需在 200 米以内");
        await OkAsync(await volunteer.PostAsJsonAsync($"/api/sessions/{SessionId(activity)}/attendance", new { code, latitude = 23.0480, longitude = 112.4650 }));
    }
}
