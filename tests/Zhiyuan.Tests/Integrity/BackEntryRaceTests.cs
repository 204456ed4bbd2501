using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.BackEntries;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.BackEntries;
using static Zhiyuan.Tests.Activities.Scenario;
using static Zhiyuan.Tests.BackEntries.BackEntryScenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Back-entry under simultaneous requests on two nodes: submitted once, decided once, its hours credited once.</summary>
public sealed class BackEntryRaceTests : AppTest
{
    [Fact]
    [Races("POST /api/back-entries", "PUT /api/back-entries/{id}", "POST /api/back-entries/{id}/roster", "POST /api/back-entries/{id}/submit",
        "POST /api/back-entries/{id}/return", "POST /api/back-entries/{id}/approve")]
    public async Task TwentyIdenticalSubmissionsReturnsAndApprovalsAtOnceActOnceAndCreditTheHoursOnce()
    {
        var s = await BackEntryScenario.CreateAsync(app);
        await using var node2 = new TestApp(app.Database);
        using var admin2 = await node2.ApiClientAsync(s.OrganizationAdminNumber, People.Password);
        var admins = new[] { s.OrganizationAdmin, admin2 };
        using var reviewer1 = await UnitAdminAsync(app);
        using var reviewer2 = await UnitAdminAsync(node2);
        var reviewers = new[] { reviewer1, reviewer2 };
        var race = new Race(app);

        // Twenty identical drafts at once are twenty drafts, as twenty activities would be; none credits anything.
        var draft = s.CleanUp(submit: false);
        await race.RunAsync("create a back-entry ×20", Race.N, i => admins[i % 2].PostJsonAsync("/api/back-entries", draft), Race.N, Race.N);
        race.CheckEqual(Race.N, await app.WithDbAsync(db => db.BackEntries.CountAsync()), "back-entries created");
        var ids = await app.WithDbAsync(db => db.BackEntries.OrderBy(b => b.CreatedAtUtc).ThenBy(b => b.Id).Select(b => b.Id).ToListAsync());
        var id = ids[0];

        // The same correction twenty times, then the same roster twenty times: one roster each time, never two.
        await race.RunAsync("replace a draft ×20", Race.N, i => admins[i % 2].PutAsJsonAsync($"/api/back-entries/{id}", draft), 1, Race.N);
        race.CheckEqual(3, await app.WithDbAsync(db => db.BackEntryAttendances.CountAsync(a => a.BackEntryId == id)), "attendances after twenty identical corrections");
        race.CheckEqual(1, await app.WithDbAsync(db => db.ActivitySessions.CountAsync(x => db.BackEntries.Any(b => b.Id == id && b.ActivityId == x.ActivityId))),
            "sessions after twenty identical corrections");
        var date = DateOnly.FromDateTime(s.Start.UtcDateTime.AddHours(8)).ToString("yyyy-MM-dd");
        var roster = Roster((s.Volunteers[0].Number, date, "09:00", "12:00", ""), (s.Volunteers[1].Mobile, date, "", "", "2"), (s.Volunteers[2].Number, date, "", "", ""));
        await race.RunAsync("import a roster ×20", Race.N, i => admins[i % 2].PostAsync($"/api/back-entries/{id}/roster", Upload(roster)), 1, Race.N);
        race.CheckEqual(3, await app.WithDbAsync(db => db.BackEntryAttendances.CountAsync(a => a.BackEntryId == id)), "attendances after twenty identical imports");

        // Submitted once; returned once; corrected and submitted again.
        await race.ExactlyOnceAsync("submit a back-entry ×20", i => admins[i % 2].PostJsonAsync($"/api/back-entries/{id}/submit", new { }));
        await race.ExactlyOnceAsync("return a back-entry ×20", i => reviewers[i % 2].PostJsonAsync($"/api/back-entries/{id}/return", new { reason = "请核对签退时间" }));
        var resubmitted = await s.OrganizationAdmin.PutAsJsonAsync($"/api/back-entries/{id}", s.CleanUp()).OkJsonAsync();
        race.CheckEqual("Submitted", resubmitted.GetProperty("status").GetString(), "status after the correction");
        race.CheckEqual(0, await app.WithDbAsync(db => db.LedgerEntries.CountAsync()), "ledger entries before approval");

        // Twenty approvals at once: approved once, each attendance credited once, marked 补录.
        var approvals = await race.ExactlyOnceAsync("approve a back-entry ×20", i => reviewers[i % 2].PostJsonAsync($"/api/back-entries/{id}/approve", new { }));
        var credited = approvals.Attempts.Where(a => a.Succeeded).Sum(a => JsonDocument.Parse(a.Body).RootElement.GetProperty("credited").GetInt32());
        race.CheckEqual(3, credited, "attendances the approval says it credited");
        var entries = await app.WithDbAsync(db => db.LedgerEntries.Select(e => new { e.VolunteerId, e.Minutes, e.IsBackEntry }).ToListAsync());
        race.CheckEqual(3, entries.Count, "ledger entries for three attendances");
        race.CheckEqual(180 + 120 + 180, entries.Sum(e => e.Minutes), "minutes credited");
        race.Check(entries.All(e => e.IsBackEntry), "every credit is marked 补录");
        race.CheckEqual(3, await app.WithDbAsync(db => db.SignUps.CountAsync()), "sign-ups made from the attendance");
        await race.CheckIntegrityAsync("the approvals");

        // A duplicate of the same clean-up, submitted and approved at once from both ends: the same hours are never credited twice.
        var twin = ids[1];
        await race.RunAsync("submit a duplicate ×20", Race.N, i => admins[i % 2].PostJsonAsync($"/api/back-entries/{twin}/submit", new { }), 0, 0);
        race.CheckEqual(BackEntryStatus.Draft, await app.WithDbAsync(db => db.BackEntries.Where(b => b.Id == twin).Select(b => b.Status).SingleAsync()),
            "a duplicate of credited hours stays a draft");
        race.CheckEqual(480, await app.WithDbAsync(db => db.LedgerEntries.SumAsync(e => e.Minutes)), "minutes after the duplicate");
        await race.AssertNoneAsync();
    }
}
