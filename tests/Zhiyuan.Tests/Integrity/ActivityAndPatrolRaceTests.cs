using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using SkiaSharp;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Activities, their outcomes and photos, and civilisation patrols under simultaneous requests.</summary>
public sealed class ActivityAndPatrolRaceTests : AppTest
{
    static byte[] Jpeg()
    {
        using var bitmap = new SKBitmap(64, 48);
        bitmap.Erase(SKColors.OrangeRed);
        using var image = SKImage.FromBitmap(bitmap);
        return image.Encode(SKEncodedImageFormat.Jpeg, 80).ToArray();
    }

    static MultipartFormDataContent Form(string photoField, Dictionary<string, string> fields, bool withPhoto = true)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }
        if (withPhoto)
        {
            var content = new ByteArrayContent(Jpeg());
            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(content, photoField, "IMG_1.jpg");
        }
        return form;
    }

    [Fact]
    [Races("POST /api/activities", "POST /api/activities/{id}/sessions", "POST /api/activities/{id}/status", "PUT /api/activities/{id}/outcome",
        "POST /api/activities/{id}/photos")]
    public async Task ActivitiesAreCreatedAsOftenAsAskedPublishedOnceAndTwentyPhotosAtOnceKeepTheLimitOfTwelve()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        await using var node2 = new TestApp(app.Database);
        using var admin2 = await node2.ApiClientAsync();
        var admins = new[] { admin, admin2 };
        var race = new Race(app);
        var start = DateTimeOffset.UtcNow.AddHours(2);

        await race.RunAsync("create an activity ×20", Race.N, i => admins[i % 2].PostJsonAsync("/api/activities", Activity(host, start, title: $"西江河畔清洁行动 {i}")), Race.N, Race.N);
        var id = await app.WithDbAsync(db => db.Activities.Select(a => a.Id).FirstAsync());
        var sessions = await race.RunAsync("add a session ×20", Race.N, i => admins[i % 2].PostJsonAsync($"/api/activities/{id}/sessions",
            new SessionRequest(InDays(5 + i, 9), InDays(5 + i, 12), 10)), 1, Race.N);
        race.CheckEqual(1 + sessions.Successes, await app.WithDbAsync(db => db.ActivitySessions.CountAsync(s => s.ActivityId == id)), "sessions of the activity (one plus as many as added)");
        await race.ExactlyOnceAsync("publish an activity ×20", i => admins[i % 2].PostJsonAsync($"/api/activities/{id}/status", new { status = "Published" }));

        app.Clock.Advance(TimeSpan.FromHours(3));
        node2.Clock.Advance(TimeSpan.FromHours(3));
        using var later1 = await app.ApiClientAsync();
        using var later2 = await node2.ApiClientAsync();
        var laters = new[] { later1, later2 };
        await race.RunAsync("record the outcome ×20", Race.N, i => laters[i % 2].PutAsJsonAsync($"/api/activities/{id}/outcome", new OutcomeRequest(1280.50m, 2, 3, "清理垃圾 300 公斤。",
            [new PopulationServedItem(PopulationTypes.EmptyNestElderly, 45)], [new MediaLinkItem("https://mp.weixin.qq.com/s/abc", 1523)])), 1, Race.N);
        race.CheckEqual(1, await app.WithDbAsync(db => db.ActivityOutcomes.CountAsync(o => o.ActivityId == id)), "outcomes of one activity");
        race.CheckEqual(1, await app.WithDbAsync(db => db.PopulationServed.CountAsync(p => p.ActivityId == id)), "people-served lines after twenty identical saves");
        var photos = await race.RunAsync("add a photo ×20", Race.N, i => laters[i % 2].PostAsync($"/api/activities/{id}/photos", Form("photo", [])), 1, OutcomeUseCases.MaxPhotos);
        var stored = await app.WithDbAsync(db => db.ActivityPhotos.CountAsync(p => p.ActivityId == id));
        race.CheckEqual(photos.Successes, stored, "photos stored (as many as accepted)");
        race.Check(stored <= OutcomeUseCases.MaxPhotos, $"{stored} photos stored, at most {OutcomeUseCases.MaxPhotos} allowed");
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("POST /api/departments", "POST /api/departments/{id}/liaisons", "POST /api/patrols/teams", "POST /api/patrols/rounds", "POST /api/patrols/findings",
        "POST /api/patrols/findings/{id}/answer", "POST /api/patrols/findings/{id}/verification", "POST /api/patrols/rounds/{id}/finish")]
    public async Task PatrolFindingsAreAnsweredAndVerifiedOnceAndThreeSimultaneousFinishesCreditTheRoundOnce()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city, "市民志愿巡访团");
        var members = await app.MembersAsync(city, host, 2);
        await using var node2 = new TestApp(app.Database);
        using var city2 = await node2.ApiClientAsync();
        var cities = new[] { city, city2 };
        var race = new Race(app);

        await race.ExactlyOnceAsync("create a department with one name ×20", i => cities[i % 2].PostJsonAsync("/api/departments", new { name = "市公安局交警支队", unitCode = "441200" }));
        var department = await app.WithDbAsync(db => db.Departments.Select(d => d.Id).SingleAsync());
        await city.PostJsonAsync("/api/accounts", new { userName = "jiaojing", displayName = "jiaojing", password = "Liaison-pass-2019", role = "DepartmentLiaison", unitCode = "441200" }).OkJsonAsync();
        await race.RunAsync("add one liaison ×20", Race.N, i => cities[i % 2].PostJsonAsync($"/api/departments/{department}/liaisons", new { userName = "jiaojing" }), 1, Race.N);
        race.CheckEqual(1, await app.WithDbAsync(db => db.DepartmentLiaisons.CountAsync()), "liaison entries for one account");

        var numbers = members.Select(m => m.Number).ToArray();
        await race.RunAsync("create a patrol team ×20", Race.N, i => cities[i % 2].PostJsonAsync("/api/patrols/teams",
            new { organizationId = host, name = $"端州巡访{i}队", isRiverTeam = false, volunteerNumbers = numbers }), Race.N, Race.N);
        var team = await app.WithDbAsync(db => db.PatrolTeams.Select(t => t.Id).FirstAsync());
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        await race.RunAsync("plan a round ×20", Race.N, i => cities[i % 2].PostJsonAsync("/api/patrols/rounds",
            new { teamId = team, mode = "Open", area = $"天宁北路 {i}", startsAt = start.AddDays(i), endsAt = start.AddDays(i).AddHours(3) }), 1, Race.N);
        var round = await app.WithDbAsync(db => db.PatrolRounds.OrderBy(r => r.StartsAtUtc).Select(r => r.Id).FirstAsync());

        using var member2 = await node2.ApiClientAsync(members[0].Number, Volunteers.People.Password);
        var patrollers = new[] { members[0].Client, member2 };
        var finding = new Dictionary<string, string>
        {
            ["roundId"] = round.ToString(), ["place"] = "天宁北路与建设路交叉口", ["category"] = "Traffic", ["description"] = "红绿灯故障",
            ["suggestion"] = "尽快维修信号灯", ["departmentId"] = department.ToString(),
        };
        var filed = await race.RunAsync("file a finding ×20", Race.N, i => patrollers[i % 2].PostAsync("/api/patrols/findings", Form("photos", finding)), Race.N, Race.N);
        race.CheckEqual(filed.Successes, await app.WithDbAsync(db => db.Findings.CountAsync()), "findings stored (as many as filed)");
        var findingId = await app.WithDbAsync(db => db.Findings.Select(f => f.Id).FirstAsync());

        using var liaison1 = await app.ApiClientAsync("jiaojing", "Liaison-pass-2019");
        using var liaison2 = await node2.ApiClientAsync("jiaojing", "Liaison-pass-2019");
        await race.ExactlyOnceAsync("answer a finding ×20", i => (i % 2 == 0 ? liaison1 : liaison2).PostAsync($"/api/patrols/findings/{findingId}/answer",
            Form("photos", new() { ["answer"] = "信号灯已于当日修复" }, withPhoto: false)));
        await race.ExactlyOnceAsync("close a finding ×20", i => patrollers[i % 2].PostJsonAsync($"/api/patrols/findings/{findingId}/verification", new { close = true }));

        app.Clock.Advance(TimeSpan.FromHours(4));
        node2.Clock.Advance(TimeSpan.FromHours(4));
        using var later1 = await app.ApiClientAsync();
        using var later2 = await node2.ApiClientAsync();
        await race.RunAsync("finish a round ×3", 3, i => (i % 2 == 0 ? later1 : later2).PostJsonAsync($"/api/patrols/rounds/{round}/finish", new { }), 1, 1);
        var minutes = await app.WithDbAsync(db => db.LedgerEntries.Select(e => e.Minutes).ToListAsync());
        race.CheckEqual("180,180", string.Join(",", minutes), "ledger minutes after finishing a three-hour round of two members");
        await race.AssertNoneAsync();
    }
}
