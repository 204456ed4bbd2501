using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Units, accounts, volunteers and organisations under simultaneous requests, on two nodes of one database.</summary>
public sealed class AdministrationRaceTests : AppTest
{
    [Fact]
    [Races("POST /api/units/{code}/children", "PUT /api/units/{code}", "POST /api/units/{code}/move", "POST /api/units/{code}/deactivate",
        "POST /api/units/{code}/reactivate", "POST /api/accounts", "POST /api/accounts/{userName}/unlock", "POST /api/auth/password")]
    public async Task UnitsAndAccountsWithOneCodeOrNameAreCreatedOnceAndRepeatedSettingsLeaveOneConsistentTree()
    {
        using var city = await app.ApiClientAsync();
        await using var node2 = new TestApp(app.Database);
        using var city2 = await node2.ApiClientAsync();
        var cities = new[] { city, city2 };
        var race = new Race(app);

        await race.ExactlyOnceAsync("create a unit with one code ×20", i => cities[i % 2].PostJsonAsync("/api/units/441202/children", new { code = "441202001", name = "城东街道", type = "Town" }));
        race.CheckEqual(1, await app.WithDbAsync(db => db.Units.CountAsync(u => u.Code == "441202001")), "units with code 441202001");
        await race.RunAsync("rename a unit ×20 (the same name)", Race.N, i => cities[i % 2].PutAsJsonAsync("/api/units/441202001", new { name = "城东街道办事处", type = "Town" }), 1, Race.N);
        await race.RunAsync("move a unit ×20 (the same parent)", Race.N, i => cities[i % 2].PostJsonAsync("/api/units/441202001/move", new { parentCode = "441284" }), 1, Race.N);
        var moved = await app.WithDbAsync(db => db.Units.AsNoTracking().SingleAsync(u => u.Code == "441202001"));
        var parent = await app.WithDbAsync(db => db.Units.AsNoTracking().SingleAsync(u => u.Code == "441284"));
        race.CheckEqual(parent.Id, moved.ParentId ?? Guid.Empty, "the moved unit's parent");
        race.CheckEqual(parent.Depth + 1, moved.Depth, "the moved unit's depth");
        race.Check(moved.Path.StartsWith(parent.Path), $"the moved unit's path {moved.Path} lies under its parent's {parent.Path}");
        await race.RunAsync("deactivate a unit ×20", Race.N, i => cities[i % 2].PostEmptyAsync("/api/units/441202001/deactivate"), 1, Race.N);
        await race.RunAsync("reactivate a unit ×20", Race.N, i => cities[i % 2].PostEmptyAsync("/api/units/441202001/reactivate"), 1, Race.N);
        race.Check(await app.WithDbAsync(db => db.Units.Where(u => u.Code == "441202001").Select(u => u.IsActive).SingleAsync()), "the unit is active after reactivation");

        await race.ExactlyOnceAsync("create an account with one user name ×20", i => cities[i % 2].PostJsonAsync("/api/accounts",
            new { userName = "duanzhou", displayName = "端州", password = "Unit-admin-2019", role = "UnitAdmin", unitCode = "441202" }));
        race.CheckEqual(1, await app.WithDbAsync(db => db.Users.CountAsync(u => u.UserName == "duanzhou")), "accounts named duanzhou");
        await race.RunAsync("unlock an account ×20", Race.N, i => cities[i % 2].PostEmptyAsync("/api/accounts/duanzhou/unlock"), 1, Race.N);

        // Twenty password changes from the same current password at once: one new password.
        using var own1 = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var own2 = await node2.ApiClientAsync("duanzhou", "Unit-admin-2019");
        // (The refused ones count as wrong current passwords, so Identity may lock the account afterwards: that is its rule, not a race.)
        // Once one has changed it, the others' token no longer matches the security stamp: they get 401 instead of 400.
        var changes = await Race.AtOnceAsync("change one's password ×20", Race.N, i => (i % 2 == 0 ? own1 : own2).PostJsonAsync("/api/auth/password",
            new { currentPassword = "Unit-admin-2019", newPassword = $"New-password-{i:D2}" }));
        race.CheckEqual(1, changes.Successes, $"password changes ({changes.Summary})");
        // A change that read the account just before the winner saved is refused by Identity's concurrency stamp: 409, nothing written.
        race.Check(changes.Refusals.All(a => a.Status is 400 or 401 or 409), $"refused changes are 400, 401 or 409 ({changes.Summary})");
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("POST /api/volunteers", "PUT /api/volunteers/me/contact", "POST /api/volunteers/{number}/personal-data", "POST /api/volunteers/{number}/certificate/revoke",
        "POST /api/volunteers/{number}/certificate/restore", "POST /api/volunteers/import")]
    public async Task OneIdNumberRegistersOneVolunteerAndCertificateChangesHappenOnce()
    {
        await using var node2 = new TestApp(app.Database);
        using var anonymous = app.CreateClient();
        using var anonymous2 = node2.CreateClient();
        var race = new Race(app);
        var id = People.ResidentId(new DateOnly(1995, 5, 5), 123);
        await race.ExactlyOnceAsync("register one ID number ×20", i => (i % 2 == 0 ? anonymous : anonymous2).PostJsonAsync("/api/volunteers",
            People.Registration("陈小明", id, "139" + (10_000_000 + i).ToString("D8"), "441202")));
        var number = await app.WithDbAsync(db => db.Volunteers.Select(v => v.Number).SingleAsync());

        using var own1 = await app.ApiClientAsync(number, People.Password);
        using var own2 = await node2.ApiClientAsync(number, People.Password);
        await race.RunAsync("update one's contact ×20", Race.N, i => (i % 2 == 0 ? own1 : own2).PutAsJsonAsync("/api/volunteers/me/contact",
            new { mobile = "13987654321", skills = "手语", serviceLines = new[] { "Ecology" } }), 1, Race.N);

        using var city = await app.ApiClientAsync();
        using var city2 = await node2.ApiClientAsync();
        var cities = new[] { city, city2 };
        // Each full view is its own audited event: twenty asked, twenty shown, twenty audit entries.
        var views = await race.RunAsync("view personal data ×20", Race.N, i => cities[i % 2].PostJsonAsync($"/api/volunteers/{number}/personal-data", new { reason = "核对保险投保信息" }), Race.N, Race.N);
        var audited = await app.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "volunteer.reveal"));
        race.CheckEqual(views.Successes, audited, "audited full views (as many as shown)");
        await race.ExactlyOnceAsync("revoke a certificate ×20", i => cities[i % 2].PostJsonAsync($"/api/volunteers/{number}/certificate/revoke", new { reason = "本人申请注销" }));
        await race.ExactlyOnceAsync("restore a certificate ×20", i => cities[i % 2].PostEmptyAsync($"/api/volunteers/{number}/certificate/restore"));

        // The same import file twenty times at once: all or nothing and one ID number once, so one import.
        var csv = new StringBuilder("姓名,证件类型,证件号码,手机号码,所属单位代码,技能特长,服务意向,监护人姓名\n");
        for (var k = 0; k < 3; k++)
        {
            csv.Append($"导入{k},居民身份证,{People.ResidentId(new DateOnly(1990, 1, 1 + k), 200 + k)},1370000{k:D4},441202,急救,生态环保,\n");
        }
        var bytes = Encoding.UTF8.GetBytes(csv.ToString());
        MultipartFormDataContent Upload()
        {
            var file = new ByteArrayContent(bytes);
            file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            return new MultipartFormDataContent { { file, "file", "volunteers.csv" }, { new StringContent("441202"), "unitCode" } };
        }
        await race.ExactlyOnceAsync("import one file ×20", i => cities[i % 2].PostAsync("/api/volunteers/import", Upload()));
        race.CheckEqual(4, await app.WithDbAsync(db => db.Volunteers.CountAsync()), "volunteers after one registration and a three-row import");
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("POST /api/organizations", "POST /api/organizations/{id}/review", "POST /api/organizations/{id}/applications",
        "POST /api/organizations/{id}/members/{number}/decision", "POST /api/organizations/{id}/admins")]
    public async Task AnOrganisationNameIsRegisteredOnceAndItsReviewMembershipAndAdministratorsAreDecidedOnce()
    {
        using var city = await app.ApiClientAsync();
        await using var node2 = new TestApp(app.Database);
        using var city2 = await node2.ApiClientAsync();
        var cities = new[] { city, city2 };
        var volunteers = await app.VolunteersAsync(2);
        using var founder2 = await node2.ApiClientAsync(volunteers[0].Number, People.Password);
        var founders = new[] { volunteers[0].Client, founder2 };
        var race = new Race(app);

        await race.ExactlyOnceAsync("register one organisation name ×20",
            i => founders[i % 2].PostJsonAsync("/api/organizations", new { name = "端州区河小青志愿服务队", description = "护河", unitCode = "441202" }));
        var id = await app.WithDbAsync(db => db.Organizations.Select(o => o.Id).SingleAsync());
        await race.ExactlyOnceAsync("approve an organisation ×20", i => cities[i % 2].PostJsonAsync($"/api/organizations/{id}/review", new { approve = true }));

        using var applicant2 = await node2.ApiClientAsync(volunteers[1].Number, People.Password);
        await race.ExactlyOnceAsync("apply for membership ×20", i => (i % 2 == 0 ? volunteers[1].Client : applicant2).PostEmptyAsync($"/api/organizations/{id}/applications"));
        race.CheckEqual(1, await app.WithDbAsync(db => db.Memberships.CountAsync(m => m.OrganizationId == id && m.Volunteer!.Number == volunteers[1].Number)), "applications of one volunteer");
        await race.ExactlyOnceAsync("approve a membership ×20",
            i => cities[i % 2].PostJsonAsync($"/api/organizations/{id}/members/{volunteers[1].Number}/decision", new { approve = true }));
        await race.RunAsync("make a member an administrator ×20", Race.N,
            i => cities[i % 2].PostJsonAsync($"/api/organizations/{id}/admins", new { volunteerNumber = volunteers[1].Number }), 1, Race.N);
        race.CheckEqual(1, await app.WithDbAsync(db => db.OrganizationAdmins.CountAsync(a => a.OrganizationId == id && a.User!.UserName == volunteers[1].Number)),
            "administrator entries for one member");
        await race.AssertNoneAsync();
    }
}
