using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Data;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Activities;

/// <summary>Confirming some attendances now and the rest later, and no-shows marked absent with a reason.</summary>
public sealed class PartialConfirmationTests : AppTest
{
    void MoveTo(DateTimeOffset instant) => app.Clock.Offset = instant - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);

    static Dictionary<string, Guid> SignUpIds(JsonElement leaderView) => leaderView.GetProperty("roster").EnumerateArray()
        .ToDictionary(r => r.GetProperty("volunteerNumber").GetString()!, r => r.GetProperty("signUpId").GetGuid());

    Task<Dictionary<string, int>> CreditedMinutesAsync(Guid session) => app.WithDbAsync(db => db.LedgerEntries.Where(e => e.SessionId == session)
        .GroupBy(e => e.Volunteer!.Number).Select(g => new { g.Key, Minutes = g.Sum(e => e.Minutes) }).ToDictionaryAsync(x => x.Key, x => x.Minutes));

    [Fact]
    public async Task TwoOfThreeAreConfirmedThenTheThirdLaterAndANoShowMarkedAbsentIsNeverCredited()
    {
        using var setup = await app.ApiClientAsync();
        var start = InDays(1, 9);
        var session = SessionId(await PublishedAsync(setup, Activity(await OrganizationAsync(setup), start, capacity: 10, hours: 3)));
        var v = await app.VolunteersAsync(5);
        foreach (var (_, client) in v)
        {
            await OkAsync(await client.SignUpAsync(session));
        }

        // During the session: the leader records times; a time still to come is refused by name.
        MoveTo(start.AddHours(1));
        using var leader = await app.ApiClientAsync();
        await Pages.AssertFieldErrorAsync(await leader.PostAsJsonAsync($"/api/sessions/{session}/roster/{v[0].Number}",
            new { checkedInAt = start, checkedOutAt = start.AddHours(2) }), "checkedOutAt", "不能晚于现在");
        await Pages.AssertFieldErrorAsync(await leader.PostAsJsonAsync($"/api/sessions/{session}/roster/{v[0].Number}",
            new { checkedInAt = start.AddMinutes(90) }), "checkedInAt", "不能晚于现在");
        // A no-show can be marked as soon as the session has started; absence needs a reason.
        var ids = SignUpIds(await OkAsync(await leader.GetAsync($"/api/sessions/{session}/leader")));
        await Pages.AssertFieldErrorAsync(await leader.PostAsJsonAsync($"/api/sessions/{session}/absences", new { signUpIds = new[] { ids[v[4].Number] }, reason = " " }),
            "reason", "缺席原因");
        await Pages.AssertFieldErrorAsync(await leader.PostAsJsonAsync($"/api/sessions/{session}/absences", new { signUpIds = Array.Empty<Guid>(), reason = "未到场" }),
            "signUpIds", "至少选择");
        await Pages.AssertFieldErrorAsync(await leader.PostAsJsonAsync($"/api/sessions/{session}/absences", new { signUpIds = new[] { Guid.NewGuid() }, reason = "未到场" }),
            "signUpIds", "不在该时段的录取名单");
        var absent = await OkAsync(await leader.PostAsJsonAsync($"/api/sessions/{session}/absences", new { signUpIds = new[] { ids[v[4].Number] }, reason = "未到场，未请假" }));
        Assert.Equal("未到场，未请假", absent[0].GetProperty("absenceReason").GetString());

        // Afterwards the times: three attended (the third one's check-in only, the fourth checks in but is doubted).
        MoveTo(start.AddHours(4));
        using var organisation = await app.ApiClientAsync();
        foreach (var (who, hours) in new[] { (v[0].Number, 3.0), (v[1].Number, 2.0), (v[2].Number, 1.0), (v[3].Number, 3.0) })
        {
            await OkAsync(await organisation.PostAsJsonAsync($"/api/sessions/{session}/roster/{who}", new { checkedInAt = start, checkedOutAt = start.AddHours(hours) }));
        }

        // The doubtful one is marked absent too, though checked in.
        await OkAsync(await organisation.PostAsJsonAsync($"/api/sessions/{session}/absences", new { signUpIds = new[] { ids[v[3].Number] }, reason = "签到存疑，未见本人" }));

        // Two of the three chosen: confirmed; pressing again credits nothing more.
        var two = await OkAsync(await organisation.PostAsJsonAsync($"/api/sessions/{session}/confirm", new { signUpIds = new[] { ids[v[0].Number], ids[v[1].Number] } }));
        Assert.Equal(2, two.GetProperty("confirmed").GetInt32());
        Assert.Equal(300, two.GetProperty("minutes").GetInt32());
        Assert.Equal(0, (await OkAsync(await organisation.PostAsJsonAsync($"/api/sessions/{session}/confirm", new { signUpIds = new[] { ids[v[0].Number] } })))
            .GetProperty("confirmed").GetInt32());
        Assert.Equal(new Dictionary<string, int> { [v[0].Number] = 180, [v[1].Number] = 120 }, await CreditedMinutesAsync(session));
        // The third is still waiting for confirmation: the pending list says so.
        var pending = await OkAsync(await organisation.GetAsync("/api/hours/pending"));
        Assert.Equal(1, pending.GetProperty("sessions").EnumerateArray().Single(s => s.GetProperty("sessionId").GetGuid() == session).GetProperty("attended").GetInt32());

        // Absent ones cannot be chosen; a confirmed one cannot be marked absent; an empty choice is refused rather than taken for "all".
        await Pages.AssertFieldErrorAsync(await organisation.PostAsJsonAsync($"/api/sessions/{session}/confirm", new { signUpIds = new[] { ids[v[4].Number] } }),
            "signUpIds", "已登记缺席");
        await Pages.AssertFieldErrorAsync(await organisation.PostAsJsonAsync($"/api/sessions/{session}/absences", new { signUpIds = new[] { ids[v[0].Number] }, reason = "x" }),
            "signUpIds", "已确认");
        await Pages.AssertFieldErrorAsync(await organisation.PostAsJsonAsync($"/api/sessions/{session}/confirm", new { signUpIds = Array.Empty<Guid>() }), "signUpIds", "至少选择");

        // Later the rest: only the third is credited; the absent are left out.
        var rest = await OkAsync(await organisation.PostAsync($"/api/sessions/{session}/confirm", null));
        Assert.Equal(1, rest.GetProperty("confirmed").GetInt32());
        // A body without the list (and one with no content at all) means "the rest" too: nothing is left.
        Assert.Equal(0, (await OkAsync(await organisation.PostAsJsonAsync($"/api/sessions/{session}/confirm", new { }))).GetProperty("confirmed").GetInt32());
        Assert.Equal(0, (await OkAsync(await organisation.PostAsync($"/api/sessions/{session}/confirm",
            new StringContent("", System.Text.Encoding.UTF8, "application/json")))).GetProperty("confirmed").GetInt32());
        Assert.Equal(new Dictionary<string, int> { [v[0].Number] = 180, [v[1].Number] = 120, [v[2].Number] = 60 }, await CreditedMinutesAsync(session));
        Assert.DoesNotContain((await OkAsync(await organisation.GetAsync("/api/hours/pending"))).GetProperty("sessions").EnumerateArray(),
            s => s.GetProperty("sessionId").GetGuid() == session);

        // The doubted volunteer sees the absence and its reason, and no hours.
        using var doubted = await app.ApiClientAsync(v[3].Number, People.Password);
        Assert.Equal("签到存疑，未见本人", (await OkAsync(await doubted.GetAsync("/api/volunteers/me/signups")))[0].GetProperty("absenceReason").GetString());
        Assert.Equal(0, (await OkAsync(await doubted.GetAsync("/api/volunteers/me/record"))).GetProperty("totalMinutes").GetInt32());

        // The mark was a mistake: taken back (once), the attendance is confirmed after all.
        await OkAsync(await organisation.DeleteAsync($"/api/sessions/{session}/absences/{ids[v[3].Number]}"));
        await Pages.AssertFieldErrorAsync(await organisation.DeleteAsync($"/api/sessions/{session}/absences/{ids[v[3].Number]}"), "signUpId", "没有被登记为缺席");
        Assert.Equal(1, (await OkAsync(await organisation.PostAsJsonAsync($"/api/sessions/{session}/confirm", new { signUpIds = new[] { ids[v[3].Number] } })))
            .GetProperty("confirmed").GetInt32());
        // The no-show had no check-in at all: even without the mark nothing could be confirmed.
        await OkAsync(await organisation.DeleteAsync($"/api/sessions/{session}/absences/{ids[v[4].Number]}"));
        await Pages.AssertFieldErrorAsync(await organisation.PostAsJsonAsync($"/api/sessions/{session}/confirm", new { signUpIds = new[] { ids[v[4].Number] } }),
            "signUpIds", "没有签到记录");

        // Behind the use cases, the database itself refuses an attendance both absent and credited.
        await OkAsync(await organisation.PostAsJsonAsync($"/api/sessions/{session}/absences", new { signUpIds = new[] { ids[v[4].Number] }, reason = "未到场" }));
        var noShow = ids[v[4].Number];
        await Assert.ThrowsAnyAsync<Exception>(() => app.WithDbAsync(db => db.SignUps.Where(s => s.Id == noShow)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.LedgerEntryId, Guid.NewGuid()))));
        var credited = ids[v[0].Number];
        await Assert.ThrowsAnyAsync<Exception>(() => app.WithDbAsync(db => db.SignUps.Where(s => s.Id == credited)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.AbsenceReason, "未到场"))));

        Assert.Equal(4, await app.WithDbAsync(db => db.LedgerEntries.CountAsync(e => e.SessionId == session)));
        Assert.Empty(await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db)));
    }

    [Fact]
    public async Task TheManagePageConfirmsTheTickedAttendancesAndMarksTheOthersAbsent()
    {
        using var setup = await app.ApiClientAsync();
        var start = InDays(1, 9);
        var activity = await PublishedAsync(setup, Activity(await OrganizationAsync(setup), start, capacity: 10, hours: 3));
        var activityId = activity.GetProperty("id").GetGuid();
        var session = SessionId(activity);
        var v = await app.VolunteersAsync(3);
        foreach (var (_, client) in v)
        {
            await OkAsync(await client.SignUpAsync(session));
        }
        MoveTo(start.AddHours(4));
        using var organisation = await app.ApiClientAsync();
        await OkAsync(await organisation.PostAsJsonAsync($"/api/sessions/{session}/roster/{v[0].Number}", new { checkedInAt = start, checkedOutAt = start.AddHours(3) }));
        await OkAsync(await organisation.PostAsJsonAsync($"/api/sessions/{session}/roster/{v[1].Number}", new { checkedInAt = start, checkedOutAt = start.AddHours(2) }));
        var ids = SignUpIds(await OkAsync(await organisation.GetAsync($"/api/sessions/{session}/leader")));

        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var url = $"/activities/{activityId}/manage";
        var page = await browser.GetPageAsync(url);
        Assert.NotNull(page.QuerySelector($"#choose-{ids[v[0].Number]}"));
        // Absent without choosing anyone or giving a reason: both said, nothing changed.
        var empty = await browser.PostFormAsync(url, page, $"attendance-{session}", ("action", "absent"));
        var emptyErrors = new HtmlParser().ParseDocument(await empty.Content.ReadAsStringAsync()).QuerySelector(".error[role=alert]")!.TextContent;
        Assert.Contains("缺席原因", emptyErrors);
        Assert.Contains("至少选择", emptyErrors);
        // Nothing ticked: said so, nothing confirmed.
        var response = await browser.PostFormAsync(url, page, $"attendance-{session}", ("action", "confirm"));
        Assert.Contains("至少选择", new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync()).QuerySelector(".error[role=alert]")!.TextContent);
        response = await browser.PostFormAsync(url, page, $"attendance-{session}", ("action", "confirm"), ("signUpIds", ids[v[0].Number].ToString()));
        var shown = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains("已确认 1 人", shown.QuerySelector("#manage-done")!.TextContent);
        Assert.Null(shown.QuerySelector($"#choose-{ids[v[0].Number]}"));
        Assert.Contains("时长已确认", shown.QuerySelector($"#attendance-{ids[v[0].Number]}")!.TextContent);

        response = await browser.PostFormAsync(url, page, $"attendance-{session}", ("action", "absent"), ("absenceReason", "未到场"), ("signUpIds", ids[v[2].Number].ToString()));
        shown = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains("缺席：未到场", shown.QuerySelector($"#attendance-{ids[v[2].Number]}")!.TextContent);
        Assert.NotNull(shown.QuerySelector($"#undo-{ids[v[2].Number]}"));

        // "Confirm all" confirms the one left, and leaves the absent out.
        response = await browser.PostFormAsync(url, page, $"attendance-{session}", ("action", "confirmAll"));
        Assert.Contains("已确认 1 人", new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync()).QuerySelector("#manage-done")!.TextContent);
        Assert.Equal(new Dictionary<string, int> { [v[0].Number] = 180, [v[1].Number] = 120 }, await CreditedMinutesAsync(session));

        // The absence is taken back from its own button.
        page = await browser.GetPageAsync(url);
        response = await browser.PostFormAsync(url, page, $"undo-absence-{session}", ("undo", ids[v[2].Number].ToString()));
        shown = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains("已撤销", shown.QuerySelector("#manage-done")!.TextContent);
        Assert.NotNull(shown.QuerySelector($"#choose-{ids[v[2].Number]}"));
        Assert.Empty(await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db)));
    }
}
