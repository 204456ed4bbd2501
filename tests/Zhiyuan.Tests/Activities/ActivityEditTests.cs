using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Messages;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Activities;

/// <summary>Editing and cancelling published activities, as organisers do in a real week, and what their volunteers are told.</summary>
public sealed class ActivityEditTests : AppTest
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static async Task<ActivityView> ViewAsync(HttpClient client, Guid id) => (await client.GetFromJsonAsync<ActivityView>($"/api/activities/{id}", Json))!;

    public static Task<HttpResponseMessage> EditAsync(HttpClient client, Guid id, EditActivityRequest request) => client.PutAsJsonAsync($"/api/activities/{id}", request, Json);

    /// <summary>The sessions of the activity as an edit request has them, with one replaced.</summary>
    public static EditSessionRequest[] With(ActivityView view, int index, Func<EditSessionRequest, EditSessionRequest> change) =>
        EditActivityRequest.From(view).Sessions!.Select((s, i) => i == index ? change(s) : s).ToArray();

    public static EditSessionRequest Moved(EditSessionRequest session, DateTimeOffset start, double hours = 3) => session with { StartsAt = start, EndsAt = start.AddHours(hours) };

    Task<List<(string Number, MessageKind Kind, string Title, string Body)>> MessagesAsync() => app.WithDbAsync(async db =>
        (await db.Messages.AsNoTracking().Join(db.Volunteers, m => m.RecipientUserId, v => v.UserId, (m, v) => new { v.Number, m.Kind, m.Title, m.Body }).ToListAsync())
        .Select(m => (m.Number, m.Kind, m.Title, m.Body)).ToList());

    Task<List<string>> ViolationsAsync() => app.WithDbAsync(async db => (await IntegrityCheck.FindViolationsAsync(db)).Select(v => v.ToString()).ToList());

    static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }

    async Task<(Guid Id, ActivityView View)> ActivityWithSessionsAsync(HttpClient admin, Guid host, params (DateTimeOffset Start, int Capacity)[] sessions)
    {
        var request = Activity(host, sessions[0].Start) with { Sessions = sessions.Select(s => new SessionRequest(s.Start, s.Start.AddHours(3), s.Capacity)).ToArray() };
        var id = (await PublishedAsync(admin, request)).GetProperty("id").GetGuid();
        return (id, await ViewAsync(admin, id));
    }

    [Fact]
    public async Task AnOrganiserMovesASessionAndChangesThePlaceEachVolunteerIsToldOnceAndTheAuditLogSaysWhatChanged()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var (id, view) = await ActivityWithSessionsAsync(admin, host, (InDays(3), 10), (InDays(4), 10));
        Assert.Equal(0, view.Version);
        var v = await app.VolunteersAsync(3);
        await OkAsync(await v[0].Client.SignUpAsync(view.Sessions[0].Id));
        await OkAsync(await v[1].Client.SignUpAsync(view.Sessions[0].Id));
        await OkAsync(await v[2].Client.SignUpAsync(view.Sessions[1].Id));

        var edited = await EditAsync(admin, id, EditActivityRequest.From(view) with
        {
            Title = "西江河畔清洁行动（改期）",
            Address = "肇庆市端州区牌坊广场",
            Sessions = With(view, 0, s => Moved(s, InDays(3, 14))),
        });
        var after = (await edited.Content.ReadFromJsonAsync<ActivityView>(Json))!;
        Assert.True(edited.IsSuccessStatusCode, await edited.Content.ReadAsStringAsync());
        Assert.Equal(1, after.Version);
        Assert.Equal("西江河畔清洁行动（改期）", after.Title);
        Assert.Equal(InDays(3, 14).UtcDateTime, after.Sessions[0].StartsAtUtc);
        Assert.Equal(2, after.Sessions[0].Accepted);

        // Those of the moved session hear of the new time and place; the other session's volunteer of the place only; once each.
        var messages = await MessagesAsync();
        Assert.Equal(3, messages.Count);
        foreach (var number in new[] { v[0].Number, v[1].Number })
        {
            var message = Assert.Single(messages, m => m.Number == number);
            Assert.Equal(MessageKind.ActivityChanged, message.Kind);
            Assert.Contains("西江河畔清洁行动（改期）", message.Title);
            Assert.Contains($"{InDays(3):yyyy-MM-dd} 09:00–12:00 改为 {InDays(3):yyyy-MM-dd} 14:00–17:00", message.Body);
            Assert.Contains("牌坊广场", message.Body);
        }
        var other = Assert.Single(messages, m => m.Number == v[2].Number);
        Assert.Contains("牌坊广场", other.Body);
        Assert.DoesNotContain("改为 " + InDays(3).ToString("yyyy-MM-dd"), other.Body);

        var audit = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "activity.edit"));
        Assert.Contains("活动名称：西江河畔清洁行动 → 西江河畔清洁行动（改期）", audit.Details);
        Assert.Contains("肇庆市端州区西江南路 → 肇庆市端州区牌坊广场", audit.Details);
        Assert.Contains($"时段 {InDays(3):yyyy-MM-dd} 09:00–12:00 改为 {InDays(3):yyyy-MM-dd} 14:00–17:00", audit.Details);
        Assert.Equal("admin", audit.ActorName);

        // The volunteer's own list shows the new time; the public page the new title.
        var mine = await v[0].Client.GetFromJsonAsync<JsonElement>("/api/volunteers/me/signups");
        Assert.Equal(InDays(3, 14).UtcDateTime, mine[0].GetProperty("startsAtUtc").GetDateTime());
        Assert.Contains("西江河畔清洁行动（改期）", await app.CreateClient().GetStringAsync($"/activities/{id}"));

        // Sent again unchanged (the same version is now stale): 409, and nobody is told twice.
        var again = await ProblemAsync(await EditAsync(admin, id, EditActivityRequest.From(view) with { Title = "西江河畔清洁行动（改期）" }), HttpStatusCode.Conflict);
        Assert.Contains("第 0 版", again.GetProperty("detail").GetString());
        Assert.Equal(3, (await MessagesAsync()).Count);
        Assert.Empty(await ViolationsAsync());
    }

    [Fact]
    public async Task ACapacityNeverDropsBelowThePlacesAcceptedAndARaisedCapacityFillsFromTheWaitlistInOrder()
    {
        using var admin = await app.ApiClientAsync();
        var (id, view) = await ActivityWithSessionsAsync(admin, await OrganizationAsync(admin), (InDays(3), 2));
        var v = await app.VolunteersAsync(4);
        foreach (var (_, client) in v)
        {
            await OkAsync(await client.SignUpAsync(view.Sessions[0].Id));
        }

        var refused = await EditAsync(admin, id, EditActivityRequest.From(view) with { Sessions = With(view, 0, s => s with { Capacity = 1 }) });
        await Pages.AssertFieldErrorAsync(refused, "sessions[0].capacity", "已录取 2 人，名额不能少于 2");
        Assert.Equal(0, (await ViewAsync(admin, id)).Version);

        var raised = await OkAsync(await EditAsync(admin, id, EditActivityRequest.From(view) with { Sessions = With(view, 0, s => s with { Capacity = 3 }) }));
        var session = raised.GetProperty("sessions")[0];
        Assert.Equal(3, session.GetProperty("accepted").GetInt32());
        Assert.Equal(1, session.GetProperty("waitlisted").GetInt32());
        // The first in line got the new place and was told; the second still waits, now first.
        var statuses = await app.WithDbAsync(db => db.SignUps.AsNoTracking().Include(s => s.Volunteer).ToDictionaryAsync(s => s.Volunteer!.Number, s => s.Status));
        Assert.Equal(SignUpStatus.Accepted, statuses[v[2].Number]);
        Assert.Equal(SignUpStatus.Waitlisted, statuses[v[3].Number]);
        var message = Assert.Single(await MessagesAsync());
        Assert.Equal((v[2].Number, MessageKind.WaitlistPromoted), (message.Number, message.Kind));
        var audit = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "activity.edit"));
        Assert.Contains("名额 2 → 3", audit.Details);
        Assert.Contains("候补转正 1 人", audit.Details);
        Assert.Empty(await ViolationsAsync());
    }

    [Fact]
    public async Task MovingASessionOntoAnotherSignUpOfItsVolunteersIsRefusedNamingThemAndChangesNothing()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var (id, view) = await ActivityWithSessionsAsync(admin, host, (InDays(3), 10));
        var elsewhere = await PublishedAsync(admin, Activity(host, InDays(5), title: "敬老院探访"));
        var v = await app.VolunteersAsync(2);
        await OkAsync(await v[0].Client.SignUpAsync(view.Sessions[0].Id));
        await OkAsync(await v[1].Client.SignUpAsync(view.Sessions[0].Id));
        await OkAsync(await v[0].Client.SignUpAsync(SessionId(elsewhere)));

        var refused = await EditAsync(admin, id, EditActivityRequest.From(view) with { Sessions = With(view, 0, s => Moved(s, InDays(5, 10))) });
        var problem = await Pages.AssertFieldErrorAsync(refused, "sessions", $"志愿者100（{v[0].Number}）已报名“敬老院探访”");
        Assert.DoesNotContain(v[1].Number, problem.ToString());
        var unchanged = await ViewAsync(admin, id);
        Assert.Equal((0, InDays(3).UtcDateTime), (unchanged.Version, unchanged.Sessions[0].StartsAtUtc));
        Assert.Empty(await MessagesAsync());

        // A time that clashes with nobody's: moved, and both are told.
        await OkAsync(await EditAsync(admin, id, EditActivityRequest.From(view) with { Sessions = With(view, 0, s => Moved(s, InDays(6))) }));
        Assert.Equal(2, (await MessagesAsync()).Count(m => m.Kind == MessageKind.ActivityChanged));
        // A session cannot be moved into the past.
        var now = await ViewAsync(admin, id);
        await Pages.AssertFieldErrorAsync(await EditAsync(admin, id, EditActivityRequest.From(now) with { Sessions = With(now, 0, s => Moved(s, DateTimeOffset.UtcNow.AddHours(-2))) }),
            "sessions[0].startsAt", "已经过去");
    }

    [Fact]
    public async Task ASessionWithSignUpsIsCancelledWithAReasonNotRemovedAndAnEmptyOneIsRemoved()
    {
        using var admin = await app.ApiClientAsync();
        var (id, view) = await ActivityWithSessionsAsync(admin, await OrganizationAsync(admin), (InDays(3), 10), (InDays(4), 10), (InDays(5), 10));
        var v = await app.VolunteersAsync(2);
        await OkAsync(await v[0].Client.SignUpAsync(view.Sessions[1].Id));

        // Left out with a sign-up: refused; left out empty: removed.
        var all = EditActivityRequest.From(view).Sessions!;
        await Pages.AssertFieldErrorAsync(await EditAsync(admin, id, EditActivityRequest.From(view) with { Sessions = [all[0], all[2]] }), "sessions", "有 1 人报名，不能删除");
        var removed = await OkAsync(await EditAsync(admin, id, EditActivityRequest.From(view) with { Sessions = [all[0], all[1]] }));
        Assert.Equal(2, removed.GetProperty("sessions").GetArrayLength());
        var audit = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "activity.edit"));
        Assert.Contains($"删除时段 {InDays(5):yyyy-MM-dd} 09:00–12:00", audit.Details);

        // Cancelling needs a reason; then the sign-up is cancelled and its volunteer told why.
        var url = $"/api/activities/{id}/sessions/{view.Sessions[1].Id}/cancellation";
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync(url, new { reason = "  " }), "reason", "请填写原因");
        var cancelled = await OkAsync(await admin.PostAsJsonAsync(url, new { reason = "场地临时维修" }));
        var session = cancelled.GetProperty("sessions").EnumerateArray().Single(s => s.GetProperty("id").GetGuid() == view.Sessions[1].Id);
        Assert.Equal("场地临时维修", session.GetProperty("cancellationReason").GetString());
        Assert.Equal(0, session.GetProperty("accepted").GetInt32());
        Assert.Equal(SignUpStatus.Cancelled, await app.WithDbAsync(db => db.SignUps.Select(s => s.Status).SingleAsync()));
        var told = Assert.Single(await MessagesAsync());
        Assert.Equal((v[0].Number, MessageKind.ActivityCancelled), (told.Number, told.Kind));
        Assert.Contains($"{InDays(4):yyyy-MM-dd} 09:00–12:00", told.Body);
        Assert.Contains("场地临时维修", told.Body);

        // A cancelled session takes no sign-ups, shows why, and is not cancelled twice; the last one left cannot be cancelled alone.
        await Pages.AssertFieldErrorAsync(await v[1].Client.SignUpAsync(view.Sessions[1].Id), "session", "已取消");
        Assert.Contains("已取消：场地临时维修", await app.CreateClient().GetStringAsync($"/activities/{id}"));
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync(url, new { reason = "场地临时维修" }), "session", "已经取消");
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync($"/api/activities/{id}/sessions/{view.Sessions[0].Id}/cancellation", new { reason = "人手不足" }),
            "session", "仅剩的时段");
        Assert.Empty(await ViolationsAsync());
    }

    [Fact]
    public async Task OnceASessionHasStartedOnlyTheDescriptionAndTheSessionsStillToComeChangeAndAFinishedActivityOnlyItsDescription()
    {
        using var setup = await app.ApiClientAsync();
        var soon = DateTimeOffset.UtcNow.AddHours(1).ToOffset(China);
        var (id, _) = await ActivityWithSessionsAsync(setup, await OrganizationAsync(setup), (soon, 10), (InDays(3), 10));
        app.Clock.Advance(TimeSpan.FromHours(2));
        using var admin = await app.ApiClientAsync();
        var view = await ViewAsync(admin, id);

        await Pages.AssertFieldErrorAsync(await EditAsync(admin, id, EditActivityRequest.From(view) with { Title = "新名称" }), "title", "“活动名称”不能再修改");
        await Pages.AssertFieldErrorAsync(await EditAsync(admin, id, EditActivityRequest.From(view) with { Address = "别处" }), "address", "只能修改活动介绍");
        await Pages.AssertFieldErrorAsync(await EditAsync(admin, id, EditActivityRequest.From(view) with { Sessions = With(view, 0, s => s with { Capacity = 20 }) }),
            "sessions[0].startsAt", "已开始");
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync($"/api/activities/{id}/cancellation", new { reason = "下雨" }), "status", "不能整体取消");
        var described = await OkAsync(await EditAsync(admin, id, EditActivityRequest.From(view) with
        {
            Description = "第一场已开始，请第二场的志愿者带手套",
            Sessions = With(view, 1, s => Moved(s, InDays(4))),
        }));
        Assert.Equal("第一场已开始，请第二场的志愿者带手套", described.GetProperty("description").GetString());
        Assert.Equal(InDays(4).UtcDateTime, described.GetProperty("sessions")[1].GetProperty("startsAtUtc").GetDateTime());

        app.Clock.Advance(TimeSpan.FromDays(5));
        using var later = await app.ApiClientAsync();
        await OkAsync(await later.PostAsJsonAsync($"/api/activities/{id}/status", new { status = "Finished" }));
        var finished = await ViewAsync(later, id);
        await Pages.AssertFieldErrorAsync(await EditAsync(later, id, EditActivityRequest.From(finished) with { RequiredSkills = "急救" }), "requiredSkills", "已结项");
        await OkAsync(await EditAsync(later, id, EditActivityRequest.From(finished) with { Description = "两场共清理垃圾 300 公斤" }));
        Assert.Equal("两场共清理垃圾 300 公斤", (await ViewAsync(later, id)).Description);
    }

    [Fact]
    public async Task TwoOrganisersEditingAtOnceTheSecondGets409AndNothingOfItIsSaved()
    {
        using var first = await app.ApiClientAsync();
        var (id, view) = await ActivityWithSessionsAsync(first, await OrganizationAsync(first), (InDays(3), 10));
        using var second = await app.ApiClientAsync();
        var seenBySecond = await ViewAsync(second, id);

        await OkAsync(await EditAsync(first, id, EditActivityRequest.From(view) with { Title = "第一位的标题", RequiredSkills = "急救" }));
        var problem = await ProblemAsync(await EditAsync(second, id, EditActivityRequest.From(seenBySecond) with { Title = "第二位的标题" }), HttpStatusCode.Conflict);
        Assert.Equal("这项操作没有执行：同一记录刚刚被另一次提交修改了。", problem.GetProperty("title").GetString());
        Assert.Contains("你修改的是第 0 版，而他人已保存了第 1 版", problem.GetProperty("detail").GetString());
        var now = await ViewAsync(second, id);
        Assert.Equal(("第一位的标题", "急救", 1), (now.Title, now.RequiredSkills, now.Version));
        // In English for an English caller; and a version is required.
        using var english = await app.ApiClientAsync(language: "en");
        var englishProblem = await ProblemAsync(await EditAsync(english, id, EditActivityRequest.From(seenBySecond)), HttpStatusCode.Conflict);
        Assert.Contains("you edited version 0", englishProblem.GetProperty("detail").GetString());
        await Pages.AssertFieldErrorAsync(await EditAsync(second, id, EditActivityRequest.From(now) with { Version = null }), "version", "版本号");
        Assert.Single(await app.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "activity.edit").ToListAsync()));

        // Someone outside the host and its unit cannot edit or cancel it at all.
        await app.CreateUnitAdminAsync("dinghu", "441203");
        using var outsider = await app.ApiClientAsync("dinghu", "Unit-admin-2019");
        Assert.Equal(HttpStatusCode.NotFound, (await EditAsync(outsider, id, EditActivityRequest.From(now) with { Title = "外人" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.PostAsJsonAsync($"/api/activities/{id}/cancellation", new { reason = "外人" })).StatusCode);
    }

    [Fact]
    public async Task CancellingAnActivityCancelsEverySignUpKeepsTheCountersAndTellsEachVolunteerOnceWithTheReasonShownPublicly()
    {
        using var admin = await app.ApiClientAsync();
        var (id, view) = await ActivityWithSessionsAsync(admin, await OrganizationAsync(admin), (InDays(3), 2), (InDays(4), 2));
        var v = await app.VolunteersAsync(3);
        await OkAsync(await v[0].Client.SignUpAsync(view.Sessions[0].Id));
        await OkAsync(await v[0].Client.SignUpAsync(view.Sessions[1].Id));
        await OkAsync(await v[1].Client.SignUpAsync(view.Sessions[0].Id));
        await OkAsync(await v[2].Client.SignUpAsync(view.Sessions[0].Id)); // waitlisted

        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync($"/api/activities/{id}/cancellation", new { }), "reason", "请填写原因");
        var cancelled = await OkAsync(await admin.PostAsJsonAsync($"/api/activities/{id}/cancellation", new { reason = "台风预警，停止户外活动" }));
        Assert.Equal("Cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal("台风预警，停止户外活动", cancelled.GetProperty("cancellationReason").GetString());
        Assert.All(cancelled.GetProperty("sessions").EnumerateArray(), s => Assert.Equal((0, 0), (s.GetProperty("accepted").GetInt32(), s.GetProperty("waitlisted").GetInt32())));
        Assert.All(await app.WithDbAsync(db => db.SignUps.Select(s => s.Status).ToListAsync()), s => Assert.Equal(SignUpStatus.Cancelled, s));

        // One message each, the one with two sessions naming both.
        var messages = await MessagesAsync();
        Assert.Equal(3, messages.Count);
        Assert.All(messages, m => Assert.Equal(MessageKind.ActivityCancelled, m.Kind));
        Assert.All(messages, m => Assert.Contains("台风预警，停止户外活动", m.Body));
        Assert.Contains($"{InDays(4):yyyy-MM-dd} 09:00–12:00", Assert.Single(messages, m => m.Number == v[0].Number).Body);
        // Cancellations go beyond the centre: they wait for the delivery run (mail, and a text message when a gateway is configured).
        Assert.All(await app.WithDbAsync(db => db.Messages.Select(m => m.DeliveryDoneAtUtc).ToListAsync()), done => Assert.Null(done));

        // Publicly: 已取消 with the reason, on the page and in the list; no more sign-ups; no second cancellation or edit.
        using var anonymous = app.CreateClient();
        var page = new HtmlParser().ParseDocument(await anonymous.GetStringAsync($"/activities/{id}"));
        Assert.Contains("台风预警，停止户外活动", page.QuerySelector("#activity-cancelled")!.TextContent);
        Assert.Equal("已取消", page.QuerySelector("#activity-status")!.TextContent.Trim());
        Assert.Empty(page.QuerySelectorAll("button[id^=signup-]"));
        Assert.Contains("已取消", await anonymous.GetStringAsync("/activities"));
        Assert.Equal("Cancelled", (await anonymous.GetFromJsonAsync<JsonElement>($"/api/activities/{id}")).GetProperty("status").GetString());
        using var newcomer = (await app.VolunteersAsync(1, firstSerial: 200))[0].Client;
        await Pages.AssertFieldErrorAsync(await newcomer.SignUpAsync(view.Sessions[1].Id), "session", "已取消");
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync($"/api/activities/{id}/cancellation", new { reason = "再取消一次" }), "status", "已经取消");
        await Pages.AssertFieldErrorAsync(await EditAsync(admin, id, EditActivityRequest.From(await ViewAsync(admin, id))), "status", "已取消");
        Assert.Equal(3, (await MessagesAsync()).Count);

        var audit = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "activity.cancel"));
        Assert.Contains("原因：台风预警，停止户外活动；取消报名 4 条，通知 3 位志愿者", audit.Details);
        Assert.Empty(await ViolationsAsync());
    }

    [Fact]
    public async Task ACancellationIsTextedToEachVolunteerThroughTheGatewayAndAMoveIsOnlyInTheCentre()
    {
        await using var gateway = await Zhiyuan.Tests.Sms.TestSmsGateway.StartAsync();
        gateway.ConfigureWebhook(app);
        using var admin = await app.ApiClientAsync();
        var (id, view) = await ActivityWithSessionsAsync(admin, await OrganizationAsync(admin), (InDays(3), 10));
        // With a gateway, registering asks for the code texted to the mobile; only the notices after it are counted.
        var v = await app.VolunteersAsync(2, sms: gateway);
        gateway.Received.Clear();
        foreach (var (_, client) in v)
        {
            await OkAsync(await client.SignUpAsync(view.Sessions[0].Id));
        }
        await OkAsync(await EditAsync(admin, id, EditActivityRequest.From(view) with { Sessions = With(view, 0, s => Moved(s, InDays(3, 14))) }));
        await OkAsync(await admin.PostAsJsonAsync($"/api/activities/{id}/cancellation", new { reason = "台风预警" }));

        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<MessageDelivery>().SendPendingAsync();
        }
        // Two volunteers, two texts: the cancellation, to each registered mobile; the move stays in the centre (and the mail).
        var texts = gateway.Received.Select(r => r.Json).ToList();
        Assert.Equal(2, texts.Count);
        Assert.All(texts, t => Assert.Equal("ActivityCancelled", t.GetProperty("kind").GetString()));
        Assert.Equal(["13900000100", "13900000101"], texts.Select(t => t.GetProperty("phone").GetString()!).Order().ToArray());
        Assert.All(texts, t => Assert.Equal("活动已取消：西江河畔清洁行动", t.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task TheEditPageSavesAMovedSessionAndAfterSomeoneElseSavedKeepsWhatWasTypedAndSaysWhatIsSavedNow()
    {
        using var api = await app.ApiClientAsync();
        var (id, view) = await ActivityWithSessionsAsync(api, await OrganizationAsync(api), (InDays(3), 10));
        var v = (await app.VolunteersAsync(1))[0];
        await OkAsync(await v.Client.SignUpAsync(view.Sessions[0].Id));
        using var admin = app.PageClient();
        await admin.SignInAsync("admin", TestApp.AdminPassword);

        var manage = await admin.GetPageAsync($"/activities/{id}/manage");
        Assert.Equal($"/activities/{id}/edit", manage.QuerySelector("#edit-activity")!.GetAttribute("href"));
        var form = await admin.GetPageAsync($"/activities/{id}/edit");
        Assert.Equal("西江河畔清洁行动", form.QuerySelector("#title")!.GetAttribute("value"));
        Assert.Equal($"{InDays(3):yyyy-MM-dd}T09:00", form.QuerySelector("#session-0-start")!.GetAttribute("value"));

        // Someone else saves first (through the API); this page still holds version 0.
        await OkAsync(await EditAsync(api, id, EditActivityRequest.From(view) with { Description = "请穿运动鞋" }));
        var fields = FormFields(form, "edit-activity-form", ("title", "西江河畔清洁（下午场）"), ("sessions[0].startsAt", $"{InDays(3):yyyy-MM-dd}T14:00"),
            ("sessions[0].endsAt", $"{InDays(3):yyyy-MM-dd}T17:00"));
        var response = await admin.PostFormAsync($"/activities/{id}/edit", form, "edit-activity", fields);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var refused = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains("你修改的是第 0 版，而他人已保存了第 1 版", refused.QuerySelector(".error")!.TextContent);
        Assert.Contains("请穿运动鞋", refused.QuerySelector("#edit-now-saved")!.TextContent);
        Assert.Equal("西江河畔清洁（下午场）", refused.QuerySelector("#title")!.GetAttribute("value"));
        Assert.Equal($"{InDays(3):yyyy-MM-dd}T14:00", refused.QuerySelector("#session-0-start")!.GetAttribute("value"));
        Assert.Equal("1", refused.QuerySelector("input[name=version]")!.GetAttribute("value"));
        Assert.Equal("西江河畔清洁行动", (await ViewAsync(api, id)).Title);

        // Saved knowingly from the page as it came back: the session moves and the volunteer is told.
        response = await admin.PostFormAsync($"/activities/{id}/edit", refused, "edit-activity", FormFields(refused, "edit-activity-form"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.EndsWith($"/activities/{id}/manage?edited=1", response.Headers.Location!.OriginalString);
        var saved = await ViewAsync(api, id);
        Assert.Equal(("西江河畔清洁（下午场）", InDays(3, 14).UtcDateTime, 2), (saved.Title, saved.Sessions[0].StartsAtUtc, saved.Version));
        Assert.Contains("改为", Assert.Single(await MessagesAsync()).Body);

        // A capacity below the accepted names the field on the page.
        form = await admin.GetPageAsync($"/activities/{id}/edit");
        response = await admin.PostFormAsync($"/activities/{id}/edit", form, "edit-activity", FormFields(form, "edit-activity-form", ("sessions[0].capacity", "0")));
        var page = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.NotNull(page.QuerySelector(".field-error[data-field='sessions[0].capacity']"));

        // The manage page cancels the activity with a reason.
        manage = await admin.GetPageAsync($"/activities/{id}/manage");
        response = await admin.PostFormAsync($"/activities/{id}/manage", manage, "cancel-activity", ("reason", "场地被征用"));
        page = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains("场地被征用", page.QuerySelector("#manage-cancelled")!.TextContent);
        Assert.Null(page.QuerySelector("#edit-activity"));
        Assert.Equal(ActivityStatus.Cancelled, (await ViewAsync(api, id)).Status);
    }

    /// <summary>What a browser would send for a form as the page shows it, with some fields changed.</summary>
    public static (string Name, string Value)[] FormFields(IHtmlDocument page, string formId, params (string Name, string Value)[] changes)
    {
        var form = page.GetElementById(formId)!;
        var fields = new List<(string Name, string Value)>();
        foreach (var element in form.QuerySelectorAll("input, textarea, select"))
        {
            var name = element.GetAttribute("name");
            if (string.IsNullOrEmpty(name) || name is "_handler" or "__RequestVerificationToken")
            {
                continue;
            }
            switch (element)
            {
                case IHtmlInputElement { Type: "checkbox" or "radio" } box:
                    if (box.IsChecked)
                    {
                        fields.Add((name, box.Value));
                    }
                    break;
                case IHtmlInputElement input:
                    fields.Add((name, input.Value));
                    break;
                case IHtmlTextAreaElement area:
                    fields.Add((name, area.Value));
                    break;
                case IHtmlSelectElement select:
                    fields.Add((name, select.Value ?? ""));
                    break;
            }
        }
        foreach (var (name, value) in changes)
        {
            fields.RemoveAll(f => f.Name == name);
            fields.Add((name, value));
        }
        return fields.ToArray();
    }
}
