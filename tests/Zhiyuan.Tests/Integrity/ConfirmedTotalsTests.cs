using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Recognition;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>
/// The confirmed totals kept beside the ledger (Hours/ConfirmedTotals.cs): they follow every
/// confirmation, correction and reversal, count a year by the China date the service started, show
/// on the volunteer's own page, and the integrity check names a total that no longer matches.
/// (The race tests check them after twenty simultaneous requests: Race.AssertNoneAsync.)
/// </summary>
public sealed class ConfirmedTotalsTests : AppTest
{
    [Fact]
    public async Task TotalsFollowConfirmationsCorrectionsAndCancellationsAndCountAYearByTheChinaDate()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var start = InDays(1, 9);
        var session = SessionId(await PublishedAsync(admin, Activity(host, start, capacity: 5, hours: 3)));
        var v = await app.VolunteersAsync(2);
        foreach (var (_, client) in v)
        {
            await client.SignUpAsync(session).OkJsonAsync();
        }
        app.Clock.Offset = start.AddHours(4) - DateTimeOffset.UtcNow;
        using var leader = await app.ApiClientAsync();
        await leader.PostJsonAsync($"/api/sessions/{session}/roster/{v[0].Number}", new { checkedInAt = start, checkedOutAt = start.AddHours(3) }).OkJsonAsync();
        await leader.PostJsonAsync($"/api/sessions/{session}/roster/{v[1].Number}", new { checkedInAt = start, checkedOutAt = start.AddHours(2) }).OkJsonAsync();
        await leader.PostEmptyAsync($"/api/sessions/{session}/confirm").OkJsonAsync();
        var ids = await app.WithDbAsync(db => db.Volunteers.Where(x => x.Number == v[0].Number || x.Number == v[1].Number).ToDictionaryAsync(x => x.Number, x => x.Id));
        Assert.Equal(180, await KeptAsync(ids[v[0].Number]));
        Assert.Equal(120, await KeptAsync(ids[v[1].Number]));

        // A correction (reversal and new entry) and a cancellation (reversal alone).
        var entries = await app.WithDbAsync(db => db.LedgerEntries.Where(e => e.SessionId == session).ToDictionaryAsync(e => e.VolunteerId, e => e.Id));
        await leader.PostJsonAsync($"/api/hours/entries/{entries[ids[v[0].Number]]}/correction", new { startAt = start, endAt = start.AddMinutes(100), reason = "签退时间有误" }).OkJsonAsync();
        await leader.PostJsonAsync($"/api/hours/entries/{entries[ids[v[1].Number]]}/correction", new { reason = "未到场" }).OkJsonAsync();
        Assert.Equal(100, await KeptAsync(ids[v[0].Number]));
        Assert.Equal(0, await KeptAsync(ids[v[1].Number]));
        // The session's kept sums, as the campaign table counts them: five entries (two confirmations, two
        // reversals, one correction) are one person-time and 100 minutes.
        var sessionTotal = await app.WithDbAsync(db => db.SessionTotals.SingleAsync(t => t.SessionId == session));
        Assert.Equal((1, 100), (sessionTotal.PersonTimes, sessionTotal.Minutes));

        // A year is the China year the service started: 23:30 on 31 December in China is still that year, 00:30 on 1 January the next.
        var year = InDays(1).Year;
        var newYearUtc = new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc) - TimeSpan.FromHours(8);
        await app.CreditAsync(host, v[0].Number, 1, newYearUtc.AddMinutes(-30), "跨年守岁服务");
        await app.CreditAsync(host, v[0].Number, 2, newYearUtc.AddMinutes(30).AddHours(1), "元旦清晨服务");
        var years = await app.WithDbAsync(db => db.ConfirmedYearTotals.Where(t => t.VolunteerId == ids[v[0].Number]).ToDictionaryAsync(t => t.Year, t => t.Minutes));
        Assert.Equal(60, years[year - 1]);
        Assert.Equal(100 + 120, years[year]);
        Assert.Equal(280, await KeptAsync(ids[v[0].Number]));
        Assert.Empty(await Race.ConfirmedTotalsDifferAsync(app));

        // The volunteer's own page reads them: all time and this year.
        app.Clock.Offset = TimeSpan.Zero;
        using var own = await app.ApiClientAsync(v[0].Number, People.Password);
        var hours = (await own.GetAsync("/api/volunteers/me").OkJsonAsync()).GetProperty("hours");
        Assert.Equal(280, hours.GetProperty("totalMinutes").GetInt32());
        Assert.Equal(hours.GetProperty("year").GetInt32() == year ? 220 : hours.GetProperty("year").GetInt32() == year - 1 ? 60 : 0, hours.GetProperty("yearMinutes").GetInt32());
        Assert.Empty(await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db)));
    }

    [Fact]
    public async Task TheIntegrityCheckNamesAVolunteerWhoseKeptTotalDiffersFromTheLedger()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var v = await app.VolunteersAsync(2);
        var started = new DateTime(2025, 6, 1, 1, 0, 0, DateTimeKind.Utc);
        await app.CreditAsync(host, v[0].Number, 2, started);
        await app.CreditAsync(host, v[1].Number, 3, started);
        Assert.Empty(await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db)));
        var ids = await app.WithDbAsync(db => db.Volunteers.Where(x => x.Number == v[0].Number || x.Number == v[1].Number).ToDictionaryAsync(x => x.Number, x => x.Id));

        // A hand-made "fix" of one total, and a year total lost.
        await app.WithDbAsync(db => db.ConfirmedTotals.Where(t => t.VolunteerId == ids[v[0].Number]).ExecuteUpdateAsync(u => u.SetProperty(t => t.Minutes, t => t.Minutes + 30)));
        await app.WithDbAsync(db => db.ConfirmedYearTotals.Where(t => t.VolunteerId == ids[v[1].Number]).ExecuteDeleteAsync());

        var violations = await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db));
        var all = Assert.Single(violations, x => x.Invariant == "totals.ledger");
        Assert.Contains(ids[v[0].Number].ToString(), all.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("120 minutes", all.Detail);
        Assert.Contains("150", all.Detail);
        var year = Assert.Single(violations, x => x.Invariant == "totals.year");
        Assert.Contains(ids[v[1].Number].ToString(), year.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("2025", year.Detail);
        Assert.Contains("180 minutes", year.Detail);
        Assert.Equal(2, violations.Count);
        Assert.Equal(2, (await Race.ConfirmedTotalsDifferAsync(app)).Count);
    }

    [Fact]
    public async Task TheTotalKeepsTheVolunteersUnitFollowsAMoveAndTheIntegrityCheckNamesAWrongOne()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var v = await app.VolunteersAsync(1);
        await app.CreditAsync(host, v[0].Number, 101, new DateTime(2025, 6, 1, 1, 0, 0, DateTimeKind.Utc));
        var volunteer = await app.WithDbAsync(db => db.Volunteers.Where(x => x.Number == v[0].Number).Select(x => new { x.Id, x.UnitId }).SingleAsync());
        var (volunteerId, unitId) = (volunteer.Id, volunteer.UnitId);
        Assert.Equal(unitId, await app.WithDbAsync(db => db.ConfirmedTotals.Where(t => t.VolunteerId == volunteerId).Select(t => t.UnitId).SingleAsync()));

        // Each county administrator's stars list takes the unit from the total; moved (by hand: no page moves a
        // volunteer), the total follows and so does the list.
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        await app.CreateUnitAdminAsync("dinghu", "441203");
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var dinghu = await app.ApiClientAsync("dinghu", "Unit-admin-2019");
        Assert.Equal(1, (await duanzhou.GetAsync("/api/stars").OkJsonAsync()).GetProperty("eligibleCount").GetInt32());
        Assert.Equal(0, (await dinghu.GetAsync("/api/stars").OkJsonAsync()).GetProperty("eligibleCount").GetInt32());
        var dinghuId = await app.WithDbAsync(db => db.Units.Where(u => u.Code == "441203").Select(u => u.Id).SingleAsync());
        await app.WithDbAsync(db => db.Volunteers.Where(x => x.Id == volunteerId).ExecuteUpdateAsync(u => u.SetProperty(x => x.UnitId, dinghuId)));
        Assert.Equal(dinghuId, await app.WithDbAsync(db => db.ConfirmedTotals.Where(t => t.VolunteerId == volunteerId).Select(t => t.UnitId).SingleAsync()));
        Assert.Equal(0, (await duanzhou.GetAsync("/api/stars").OkJsonAsync()).GetProperty("eligibleCount").GetInt32());
        Assert.Equal(v[0].Number, (await dinghu.GetAsync("/api/stars").OkJsonAsync()).GetProperty("eligible")[0].GetProperty("number").GetString());
        Assert.Empty(await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db)));

        // A total's unit changed by hand is named.
        await app.WithDbAsync(db => db.ConfirmedTotals.Where(t => t.VolunteerId == volunteerId).ExecuteUpdateAsync(u => u.SetProperty(t => t.UnitId, unitId)));
        var wrong = Assert.Single(await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db)));
        Assert.Equal("totals.unit", wrong.Invariant);
        Assert.Contains(volunteerId.ToString(), wrong.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(dinghuId.ToString(), wrong.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TheIntegrityCheckNamesASessionWhoseKeptSumsDifferFromItsEntries()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var v = await app.VolunteersAsync(2);
        await app.CreditAsync(host, v[0].Number, 2, new DateTime(2025, 6, 1, 1, 0, 0, DateTimeKind.Utc));
        await app.CreditAsync(host, v[1].Number, 3, new DateTime(2025, 6, 2, 1, 0, 0, DateTimeKind.Utc));
        var sessions = await app.WithDbAsync(db => db.SessionTotals.OrderBy(t => t.Minutes).Select(t => t.SessionId).ToListAsync());
        Assert.Equal(2, sessions.Count);
        Assert.Empty(await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db)));

        await app.WithDbAsync(db => db.SessionTotals.Where(t => t.SessionId == sessions[0]).ExecuteUpdateAsync(u => u.SetProperty(t => t.PersonTimes, 2)));
        var wrong = Assert.Single(await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db)));
        Assert.Equal("totals.session", wrong.Invariant);
        Assert.Contains(sessions[0].ToString(), wrong.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("1 person-times and 120 minutes", wrong.Detail);
        Assert.Contains("says 2 and 120", wrong.Detail);
    }

    Task<int> KeptAsync(Guid volunteerId) =>
        app.WithDbAsync(db => db.ConfirmedTotals.Where(t => t.VolunteerId == volunteerId).Select(t => t.Minutes).SingleOrDefaultAsync());
}
