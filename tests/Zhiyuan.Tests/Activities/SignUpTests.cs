using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Activities;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Activities;

public sealed class SignUpTests : AppTest
{
    [Fact]
    public async Task TwoHundredSimultaneousSignUpsOnTwoNodesForTwentyPlacesGiveTwentyAcceptedAndAWaitlistOfOneHundredAndEighty()
    {
        using var admin = await app.ApiClientAsync();
        var activity = await PublishedAsync(admin, Activity(await OrganizationAsync(admin), InDays(3), capacity: 20));
        var session = SessionId(activity);
        var volunteers = await app.VolunteersAsync(200);

        // Half of them reach a second app node on the same database.
        await using var secondNode = new TestApp(app.Database);
        using var start = new SemaphoreSlim(0);
        var attempts = volunteers.Select(async (v, i) =>
        {
            using var viaSecond = secondNode.CreateClient();
            viaSecond.DefaultRequestHeaders.Authorization = v.Client.DefaultRequestHeaders.Authorization;
            await start.WaitAsync();
            return await OkAsync(await (i % 2 == 0 ? v.Client : viaSecond).SignUpAsync(session));
        }).ToList();
        start.Release(volunteers.Count);
        var answers = await Task.WhenAll(attempts);

        Assert.Equal(20, answers.Count(a => a.GetProperty("status").GetString() == "Accepted"));
        Assert.Equal(180, answers.Count(a => a.GetProperty("status").GetString() == "Waitlisted"));
        var rows = await app.WithDbAsync(db => db.SignUps.Where(s => s.SessionId == session).ToListAsync());
        Assert.Equal(200, rows.Count);
        Assert.Equal(200, rows.Select(r => r.VolunteerId).Distinct().Count());
        Assert.Equal(20, rows.Count(r => r.Status == SignUpStatus.Accepted));
        Assert.Equal(20, await app.WithDbAsync(db => db.ActivitySessions.Where(s => s.Id == session).Select(s => s.Accepted).SingleAsync()));
        // The waitlist is one line: positions 1…180 each given once, in order of arrival.
        var positions = await Task.WhenAll(volunteers.Select(async v => (await v.Client.GetFromJsonAsync<JsonElement>("/api/volunteers/me/signups"))[0]));
        Assert.Equal(Enumerable.Range(1, 180), positions.Where(p => p.GetProperty("status").GetString() == "Waitlisted")
            .Select(p => p.GetProperty("waitlistPosition").GetInt32()).Order());
        foreach (var (_, client) in volunteers)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task AFreedPlaceGoesToTheFirstOnTheWaitlistAndEveryRefusalSaysWhy()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var activity = await PublishedAsync(admin, Activity(host, InDays(3), capacity: 2));
        var session = SessionId(activity);
        var v = await app.VolunteersAsync(5);

        Assert.Equal("Accepted", (await OkAsync(await v[0].Client.SignUpAsync(session))).GetProperty("status").GetString());
        Assert.Equal("Accepted", (await OkAsync(await v[1].Client.SignUpAsync(session))).GetProperty("status").GetString());
        var third = await OkAsync(await v[2].Client.SignUpAsync(session));
        Assert.Equal("Waitlisted", third.GetProperty("status").GetString());
        Assert.Contains("候补第 1 位", third.GetProperty("message").GetString());
        var fourth = await OkAsync(await v[3].Client.SignUpAsync(session));
        Assert.Contains("候补第 2 位", fourth.GetProperty("message").GetString());

        // No double sign-up.
        await Pages.AssertFieldErrorAsync(await v[0].Client.SignUpAsync(session), "session", "已报名");

        // The first accepted volunteer cancels three days ahead: the first on the waitlist moves up.
        await OkAsync(await v[0].Client.DeleteAsync($"/api/sessions/{session}/signups/me"));
        var mine = await v[2].Client.GetFromJsonAsync<JsonElement>("/api/volunteers/me/signups");
        Assert.Equal("Accepted", mine[0].GetProperty("status").GetString());
        mine = await v[3].Client.GetFromJsonAsync<JsonElement>("/api/volunteers/me/signups");
        Assert.Equal(1, mine[0].GetProperty("waitlistPosition").GetInt32());
        Assert.Equal(2, await app.WithDbAsync(db => db.ActivitySessions.Where(s => s.Id == session).Select(s => s.Accepted).SingleAsync()));

        // A waitlisted volunteer leaving frees no place; an accepted one within 24 hours may not cancel.
        await OkAsync(await v[3].Client.DeleteAsync($"/api/sessions/{session}/signups/me"));
        // Twelve hours before the session starts, whatever the time of day the test runs at.
        app.Clock.Advance(InDays(3) - app.Clock.GetUtcNow() - TimeSpan.FromHours(12));
        using var late = await app.ApiClientAsync(v[1].Number, Volunteers.People.Password);
        await Pages.AssertFieldErrorAsync(await late.DeleteAsync($"/api/sessions/{session}/signups/me"), "session", "24 小时内不能取消");
    }

    [Fact]
    public async Task AgeSkillsMembershipOverlapAndTheWindowAreCheckedWithAReason()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var v = await app.VolunteersAsync(1, birthYear: DateTime.UtcNow.Year - 30);
        var young = await app.VolunteersAsync(1, firstSerial: 300, birthYear: DateTime.UtcNow.Year - 15);

        var adultsOnly = await PublishedAsync(admin, Activity(host, InDays(4), title: "敬老院探访") with { MinAge = 16 });
        var refused = await Pages.AssertFieldErrorAsync(await young[0].Client.SignUpAsync(SessionId(adultsOnly)), "session", "本活动要求年龄 16+ 岁");
        Assert.Contains("您 1", refused.GetProperty("errors").GetProperty("session")[0].GetString());

        var firstAid = await PublishedAsync(admin, Activity(host, InDays(5), title: "马拉松医疗保障") with { RequiredSkills = "急救、驾驶" });
        await Pages.AssertFieldErrorAsync(await v[0].Client.SignUpAsync(SessionId(firstAid)), "session", "驾驶");

        var membersOnly = await PublishedAsync(admin, Activity(host, InDays(6), title: "内部培训") with { MembersOnly = true });
        await Pages.AssertFieldErrorAsync(await v[0].Client.SignUpAsync(SessionId(membersOnly)), "session", "仅限");

        var morning = await PublishedAsync(admin, Activity(host, InDays(7, 9), title: "上午场"));
        var overlapping = await PublishedAsync(admin, Activity(host, InDays(7, 11), title: "中午场"));
        await OkAsync(await v[0].Client.SignUpAsync(SessionId(morning)));
        await Pages.AssertFieldErrorAsync(await v[0].Client.SignUpAsync(SessionId(overlapping)), "session", "上午场");

        var notYet = await PublishedAsync(admin, Activity(host, InDays(9), title: "未开放") with { SignUpOpensAt = InDays(2) });
        await Pages.AssertFieldErrorAsync(await v[0].Client.SignUpAsync(SessionId(notYet)), "session", "报名将于");

        // The administrator is no volunteer: told to register.
        await Pages.AssertFieldErrorAsync(await admin.SignUpAsync(SessionId(morning)), "session", "实名注册");
    }

    [Fact]
    public async Task ReviewedSignUpsWaitForTheOrganisationWhichAcceptsOrRejectsWithAReason()
    {
        using var admin = await app.ApiClientAsync();
        var activity = await PublishedAsync(admin, Activity(await OrganizationAsync(admin), InDays(3), capacity: 1) with { ReviewSignUps = true });
        var session = SessionId(activity);
        var v = await app.VolunteersAsync(3);
        foreach (var (_, client) in v)
        {
            Assert.Equal("Pending", (await OkAsync(await client.SignUpAsync(session))).GetProperty("status").GetString());
        }
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync($"/api/sessions/{session}/signups/{v[0].Number}/decision", new { approve = false }), "reason", "");
        Assert.Equal("Accepted", (await OkAsync(await admin.PostAsJsonAsync($"/api/sessions/{session}/signups/{v[0].Number}/decision", new { approve = true }))).GetProperty("status").GetString());
        Assert.Equal("Waitlisted", (await OkAsync(await admin.PostAsJsonAsync($"/api/sessions/{session}/signups/{v[1].Number}/decision", new { approve = true }))).GetProperty("status").GetString());
        await OkAsync(await admin.PostAsJsonAsync($"/api/sessions/{session}/signups/{v[2].Number}/decision", new { approve = false, reason = "需要有护理经验" }));
        await Pages.AssertFieldErrorAsync(await v[2].Client.SignUpAsync(session), "session", "需要有护理经验");

        // Another county's administrator cannot decide anything here.
        await app.CreateUnitAdminAsync("sihui", "441284", "Sihui-2019");
        using var sihui = await app.ApiClientAsync("sihui", "Sihui-2019");
        Assert.Equal(HttpStatusCode.NotFound, (await sihui.PostAsJsonAsync($"/api/sessions/{session}/signups/{v[1].Number}/decision", new { approve = true })).StatusCode);
    }
}
