using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Zhiyuan.Tests.Campaigns;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Campaigns;
using Zhiyuan.Web.Messages;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Messages;

/// <summary>The message centre as its users meet it: each event tells the right person once, with a link that works, and nobody else can read it.</summary>
public sealed class MessageTests : AppTest
{
    /// <summary>The caller's messages through the API.</summary>
    public static async Task<(int Unread, List<JsonElement> Messages)> InboxAsync(HttpClient client)
    {
        var page = await OkAsync(await client.GetAsync("/api/messages"));
        return (page.GetProperty("unread").GetInt32(), page.GetProperty("messages").EnumerateArray().ToList());
    }

    static string Kind(JsonElement message) => message.GetProperty("kind").GetString()!;

    static string Text(JsonElement message, string field) => message.GetProperty(field).GetString()!;

    /// <summary>Every message in the database, for "nobody else was told".</summary>
    Task<List<Message>> AllMessagesAsync() => app.WithDbAsync(db => db.Messages.AsNoTracking().ToListAsync());

    /// <summary>
    /// Leaves out reminders and overdue notices: the report notices run every minute in the background and,
    /// should a test take longer, may rightly remind the city's own unit of a report due at the test's clock.
    /// </summary>
    static List<JsonElement> ReviewsOnly(List<JsonElement> messages) => messages.Where(m => Kind(m) is not ("ReportReminder" or "ReportOverdue")).ToList();

    /// <summary>A session starting on the next full hour plus one, so that sign-up is still open now.</summary>
    static DateTimeOffset NextHour()
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(2).ToOffset(China);
    }

    [Fact]
    public async Task AVolunteerPromotedFromTheWaitlistIsToldOnceWithALinkToTheActivityAndNobodyElseCanReadIt()
    {
        using var admin = await app.ApiClientAsync();
        var activity = await PublishedAsync(admin, Activity(await OrganizationAsync(admin), InDays(3), capacity: 1, title: "敬老院探访"));
        var session = SessionId(activity);
        var activityId = activity.GetProperty("id").GetGuid();
        var v = await app.VolunteersAsync(3);
        await OkAsync(await v[0].Client.SignUpAsync(session));
        await OkAsync(await v[1].Client.SignUpAsync(session));
        Assert.Empty((await InboxAsync(v[1].Client)).Messages);

        // The accepted volunteer cancels: the one waiting gets the place and is told, once.
        await OkAsync(await v[0].Client.DeleteAsync($"/api/sessions/{session}/signups/me"));
        var (unread, messages) = await InboxAsync(v[1].Client);
        Assert.Equal(1, unread);
        var message = Assert.Single(messages);
        Assert.Equal("WaitlistPromoted", Kind(message));
        Assert.Equal("您已候补转正：敬老院探访", Text(message, "title"));
        Assert.Contains(InDays(3).ToString("yyyy-MM-dd") + " 09:00", Text(message, "body"));
        Assert.Contains("肇庆市端州区西江南路", Text(message, "body"));
        Assert.Equal($"/activities/{activityId}", Text(message, "link"));
        Assert.Equal(JsonValueKind.Null, message.GetProperty("readAtUtc").ValueKind);
        // Nobody else was told anything: not the one who cancelled, not the bystander.
        Assert.Empty((await InboxAsync(v[0].Client)).Messages);
        Assert.Empty((await InboxAsync(v[2].Client)).Messages);
        Assert.Single(await AllMessagesAsync());

        // The link works: the activity's page, where the volunteer now holds the place.
        var pages = app.PageClient();
        await pages.SignInAsync(v[1].Number, People.Password);
        var detail = await pages.GetPageAsync(Text(message, "link"));
        Assert.Equal("敬老院探访", detail.QuerySelector("#activity-title")!.TextContent);

        // Another volunteer, and the city administrator, find no such message.
        var id = message.GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.NotFound, (await v[2].Client.PostAsync($"/api/messages/{id}/read", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/messages/{id}/read", null)).StatusCode);
        Assert.Null(await app.WithDbAsync(db => db.Messages.Where(m => m.Id == id).Select(m => m.ReadAtUtc).SingleAsync()));
        Assert.Equal(HttpStatusCode.NotFound, (await v[1].Client.PostAsync($"/api/messages/{Guid.NewGuid()}/read", null)).StatusCode);
        // Without signing in, nothing at all.
        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/messages")).StatusCode);

        // The recipient reads it: the count drops, and reading it again keeps the time it was first read.
        var read = await OkAsync(await v[1].Client.PostAsync($"/api/messages/{id}/read", null));
        var readAt = read.GetProperty("readAtUtc").GetDateTime();
        Assert.Equal(0, (await InboxAsync(v[1].Client)).Unread);
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(readAt, (await OkAsync(await v[1].Client.PostAsync($"/api/messages/{id}/read", null))).GetProperty("readAtUtc").GetDateTime());
    }

    [Fact]
    public async Task TheMessagePageHighlightsUnreadMessagesOpensThemAndMarksThemAllReadAndTheHeaderCountsThem()
    {
        using var admin = await app.ApiClientAsync();
        var v = (await app.VolunteersAsync(1))[0];
        var userId = await app.WithDbAsync(db => db.Volunteers.Where(x => x.Number == v.Number).Select(x => x.UserId!).SingleAsync());
        // Three messages, written as a feature writes them (the hooks have tests of their own).
        var now = DateTime.UtcNow;
        await app.WithDbAsync(async db =>
        {
            Inbox.Tell(db, userId, MessageKind.SignUpRejected, "/activities", now.AddMinutes(-3), "第一场", "2026-01-01 09:00", "名额已满");
            Inbox.Tell(db, userId, MessageKind.HoursConfirmed, "/me/record", now.AddMinutes(-2), "第二场", "2026-01-02 09:00", "3");
            Inbox.Tell(db, userId, MessageKind.HoursConfirmed, "/me/record", now.AddMinutes(-1), "第三场", "2026-01-03 09:00", "2.5");
            return await db.SaveChangesAsync();
        });

        var browser = app.PageClient();
        await browser.SignInAsync(v.Number, People.Password);
        // Every page shows the count in the header.
        var home = await browser.GetPageAsync("/");
        Assert.Equal("3", home.QuerySelector("#unread-count")!.TextContent.Trim());
        var page = await browser.GetPageAsync("/messages");
        var items = page.QuerySelectorAll("#messages li.message").ToList();
        Assert.Equal(3, items.Count);
        // Newest first, each unread one highlighted, with its full text.
        Assert.Contains("第三场", items[0].TextContent);
        Assert.Contains("第一场", items[2].TextContent);
        Assert.Contains("原因：名额已满", items[2].QuerySelector(".message-body")!.TextContent);
        Assert.All(items, i => Assert.Contains("unread", i.ClassName));
        Assert.Contains("3 条未读", page.QuerySelector("#messages-unread")!.TextContent);

        // Opening one goes to the page it is about and marks it read; the header then counts two.
        var second = items[1].GetAttribute("data-id")!;
        var opened = await browser.PostFormAsync("/messages", page, "open-" + second);
        Assert.Equal(HttpStatusCode.Redirect, opened.StatusCode);
        Assert.EndsWith("/me/record", opened.Headers.Location!.OriginalString);
        page = await browser.GetPageAsync("/messages");
        Assert.Equal("2", page.QuerySelector("#unread-count")!.TextContent.Trim());
        Assert.Contains("read", page.QuerySelector($"li[data-id='{second}']")!.ClassName);
        Assert.DoesNotContain("unread", page.QuerySelector($"li[data-id='{second}']")!.ClassName);

        // "全部标为已读": none left, no badge, and the button is gone.
        var marked = await browser.PostFormAsync("/messages", page, "read-all");
        Assert.Equal(HttpStatusCode.Redirect, marked.StatusCode);
        page = await browser.GetPageAsync(marked.Headers.Location!.OriginalString);
        Assert.Contains("已将 2 条消息标为已读", page.QuerySelector("#messages-marked")!.TextContent);
        Assert.Null(page.QuerySelector("#unread-count"));
        Assert.Null(page.QuerySelector("#read-all"));
        Assert.Equal("没有未读消息", page.QuerySelector("#messages-unread")!.TextContent.Trim());
        Assert.All(page.QuerySelectorAll("#messages li.message"), i => Assert.DoesNotContain("unread", i.ClassName));
        // The same button pressed again (Back, then submit) changes nothing and says so.
        var again = await browser.PostFormAsync("/messages", page, "read-all");
        Assert.True(again.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.SeeOther);
        Assert.Equal(0, (await InboxAsync(v.Client)).Unread);

        // In English the page is English; the messages themselves stay as written (Chinese).
        var english = app.PageClient(language: "en");
        await english.SignInAsync(v.Number, People.Password);
        var englishPage = await english.GetPageAsync("/messages");
        Assert.Equal("My messages", englishPage.QuerySelector("h1")!.TextContent);
        Assert.Contains("第三场", englishPage.QuerySelector("#messages")!.TextContent);

        // Without signing in the page asks for it.
        var anonymous = app.PageClient();
        var response = await anonymous.GetAsync("/messages");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/account/sign-in", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task ReadAllMarksEveryUnreadMessageOnceAndTheListPagesBack()
    {
        var v = await app.VolunteersAsync(2);
        var userId = await app.WithDbAsync(db => db.Volunteers.Where(x => x.Number == v[0].Number).Select(x => x.UserId!).SingleAsync());
        var otherId = await app.WithDbAsync(db => db.Volunteers.Where(x => x.Number == v[1].Number).Select(x => x.UserId!).SingleAsync());
        var start = DateTime.UtcNow.AddHours(-2);
        await app.WithDbAsync(async db =>
        {
            for (var i = 0; i < MessageUseCases.PageSize + 5; i++)
            {
                Inbox.Tell(db, userId, MessageKind.HoursConfirmed, "/me/record", start.AddMinutes(i), $"活动{i}", "2026-01-01 09:00", "1");
            }
            Inbox.Tell(db, otherId, MessageKind.HoursConfirmed, "/me/record", start, "别人的", "2026-01-01 09:00", "1");
            return await db.SaveChangesAsync();
        });
        var (unread, first) = await InboxAsync(v[0].Client);
        Assert.Equal(MessageUseCases.PageSize + 5, unread);
        Assert.Equal(MessageUseCases.PageSize, first.Count);
        Assert.Equal($"服务时长已确认：活动{MessageUseCases.PageSize + 4}", Text(first[0], "title"));
        var last = DateTime.SpecifyKind(first[^1].GetProperty("createdAtUtc").GetDateTime(), DateTimeKind.Utc);
        var before = Uri.EscapeDataString(last.ToString("O"));
        var older = await OkAsync(await v[0].Client.GetAsync($"/api/messages?before={before}"));
        Assert.Equal(5, older.GetProperty("messages").GetArrayLength());
        Assert.False(older.GetProperty("hasMore").GetBoolean());

        var all = await OkAsync(await v[0].Client.PostAsync("/api/messages/read-all", null));
        Assert.Equal(MessageUseCases.PageSize + 5, all.GetProperty("marked").GetInt32());
        Assert.Equal(0, all.GetProperty("unread").GetInt32());
        Assert.Equal(0, (await OkAsync(await v[0].Client.PostAsync("/api/messages/read-all", null))).GetProperty("marked").GetInt32());
        // The other volunteer's message is untouched.
        Assert.Equal(1, (await InboxAsync(v[1].Client)).Unread);
    }

    [Fact]
    public async Task ARejectedSignUpTellsTheVolunteerWhyAndAnApprovalTellsNothing()
    {
        using var admin = await app.ApiClientAsync();
        var activity = await PublishedAsync(admin, Activity(await OrganizationAsync(admin), InDays(3), capacity: 5, title: "助残服务") with { ReviewSignUps = true });
        var session = SessionId(activity);
        var v = await app.VolunteersAsync(2);
        foreach (var (_, client) in v)
        {
            await OkAsync(await client.SignUpAsync(session));
        }
        await OkAsync(await admin.PostAsJsonAsync($"/api/sessions/{session}/signups/{v[0].Number}/decision", new { approve = true }));
        // A rejection without a reason is refused and tells nobody.
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync($"/api/sessions/{session}/signups/{v[1].Number}/decision", new { approve = false, reason = "" }), "reason", "");
        Assert.Empty(await AllMessagesAsync());
        await OkAsync(await admin.PostAsJsonAsync($"/api/sessions/{session}/signups/{v[1].Number}/decision", new { approve = false, reason = "需持有助残培训证书" }));
        // A second decision on the same sign-up is refused and tells nobody again.
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync($"/api/sessions/{session}/signups/{v[1].Number}/decision", new { approve = false, reason = "again" })).StatusCode);

        var message = Assert.Single((await InboxAsync(v[1].Client)).Messages);
        Assert.Equal("SignUpRejected", Kind(message));
        Assert.Equal("报名未通过：助残服务", Text(message, "title"));
        Assert.EndsWith("原因：需持有助残培训证书", Text(message, "body"));
        Assert.Equal($"/activities/{activity.GetProperty("id").GetGuid()}", Text(message, "link"));
        Assert.Empty((await InboxAsync(v[0].Client)).Messages);
        Assert.Single(await AllMessagesAsync());
    }

    [Fact]
    public async Task ConfirmedHoursTellEachVolunteerOncePerSessionAndAnsweredCorrectionRequestsTellTheAsker()
    {
        using var setup = await app.ApiClientAsync();
        var start = NextHour();
        var activity = await PublishedAsync(setup, Activity(await OrganizationAsync(setup), start, capacity: 5, hours: 3, title: "图书馆整理"));
        var session = SessionId(activity);
        var v = await app.VolunteersAsync(3);
        foreach (var (_, client) in v)
        {
            await OkAsync(await client.SignUpAsync(session));
        }
        app.Clock.Offset = start.AddHours(4) - DateTimeOffset.UtcNow;
        using var admin = await app.ApiClientAsync();
        // Two came (the leader enters their times afterwards); the third did not.
        await OkAsync(await admin.PostAsJsonAsync($"/api/sessions/{session}/roster/{v[0].Number}", new { checkedInAt = start, checkedOutAt = start.AddHours(3) }));
        await OkAsync(await admin.PostAsJsonAsync($"/api/sessions/{session}/roster/{v[1].Number}", new { checkedInAt = start, checkedOutAt = start.AddHours(1.5) }));
        await OkAsync(await admin.PostAsync($"/api/sessions/{session}/confirm", null));
        // Confirming again credits nobody and tells nobody.
        await OkAsync(await admin.PostAsync($"/api/sessions/{session}/confirm", null));

        using var first = await app.ApiClientAsync(v[0].Number, People.Password);
        using var second = await app.ApiClientAsync(v[1].Number, People.Password);
        using var absent = await app.ApiClientAsync(v[2].Number, People.Password);
        var firstMessage = Assert.Single((await InboxAsync(first)).Messages);
        Assert.Equal("HoursConfirmed", Kind(firstMessage));
        Assert.Equal("服务时长已确认：图书馆整理", Text(firstMessage, "title"));
        Assert.Contains("计 3.00 小时", Text(firstMessage, "body"));
        Assert.Equal("/me/record", Text(firstMessage, "link"));
        Assert.Contains("计 1.50 小时", Text(Assert.Single((await InboxAsync(second)).Messages), "body"));
        Assert.Empty((await InboxAsync(absent)).Messages);
        // The link works: the volunteer's service record with the confirmed line.
        var browser = app.PageClient();
        await browser.SignInAsync(v[0].Number, People.Password);
        Assert.Contains("图书馆整理", (await browser.GetPageAsync("/me/record")).Body!.TextContent);

        // Both ask for corrections; the organisation corrects one and declines the other.
        await OkAsync(await first.PostAsJsonAsync($"/api/sessions/{session}/correction-requests", new { message = "我 11 点就离开了" }));
        await OkAsync(await second.PostAsJsonAsync($"/api/sessions/{session}/correction-requests", new { message = "我一直在到结束" }));
        var pending = (await OkAsync(await admin.GetAsync("/api/hours/pending"))).GetProperty("correctionRequests").EnumerateArray().ToList();
        var firstRequest = pending.Single(r => r.GetProperty("volunteerNumber").GetString() == v[0].Number).GetProperty("id").GetGuid();
        var secondRequest = pending.Single(r => r.GetProperty("volunteerNumber").GetString() == v[1].Number).GetProperty("id").GetGuid();
        var entry = (await OkAsync(await admin.GetAsync($"/api/sessions/{session}/ledger"))).EnumerateArray()
            .Single(e => e.GetProperty("volunteerNumber").GetString() == v[0].Number).GetProperty("id").GetGuid();
        await OkAsync(await admin.PostAsJsonAsync($"/api/hours/entries/{entry}/correction",
            new { startAt = start, endAt = start.AddHours(2), reason = "按志愿者申请更正为 2 小时", correctionRequestId = firstRequest }));
        await OkAsync(await admin.PostAsJsonAsync($"/api/hours/correction-requests/{secondRequest}/decline", new { reason = "领队记录显示 10:30 签退" }));
        // Declining again finds no open request and tells nobody.
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsJsonAsync($"/api/hours/correction-requests/{secondRequest}/decline", new { reason = "again" })).StatusCode);

        var made = (await InboxAsync(first)).Messages;
        Assert.Equal(2, made.Count);
        Assert.Equal("CorrectionMade", Kind(made[0]));
        Assert.Equal("时长更正申请已处理：图书馆整理", Text(made[0], "title"));
        Assert.EndsWith("说明：按志愿者申请更正为 2 小时", Text(made[0], "body"));
        Assert.Equal("/me/record", Text(made[0], "link"));
        var declined = (await InboxAsync(second)).Messages;
        Assert.Equal(2, declined.Count);
        Assert.Equal("CorrectionDeclined", Kind(declined[0]));
        Assert.EndsWith("原因：领队记录显示 10:30 签退", Text(declined[0], "body"));
        Assert.Equal(4, (await AllMessagesAsync()).Count);
    }

    [Fact]
    public async Task AReportReturnedReopenedApprovedOrComingDueTellsTheUnitsOwnAdministratorsOnly()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        await app.CreateUnitAdminAsync("duanzhou2", "441202");
        await app.CreateUnitAdminAsync("dinghu", "441203");
        app.Clock.Offset = new DateTimeOffset(2019, 3, 7, 20, 0, 0, China) - DateTimeOffset.UtcNow;
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var duanzhou2 = await app.ApiClientAsync("duanzhou2", "Unit-admin-2019");
        using var dinghu = await app.ApiClientAsync("dinghu", "Unit-admin-2019");
        using var city = await app.ApiClientAsync();
        var report = $"/api/campaigns/{data.CampaignId}/reports/441202/1";
        await OkAsync(await duanzhou.PostAsJsonAsync(report + "/submit", new { contactName = "李干事", contactPhone = "0758-2230000" }));
        Assert.Empty(await AllMessagesAsync());

        await OkAsync(await city.PostAsJsonAsync(report + "/return", new { comment = "请补充线下植树活动" }));
        // Returning it again is refused (it is no longer submitted) and tells nobody again.
        Assert.Equal(HttpStatusCode.BadRequest, (await city.PostAsJsonAsync(report + "/return", new { comment = "再退一次" })).StatusCode);
        foreach (var administrator in new[] { duanzhou, duanzhou2 })
        {
            var message = Assert.Single(ReviewsOnly((await InboxAsync(administrator)).Messages));
            Assert.Equal("ReportReturned", Kind(message));
            Assert.Equal($"报表被退回：{CampaignData.Name}第1期统计表（3月1日至3月7日）", Text(message, "title"));
            Assert.EndsWith("意见：请补充线下植树活动", Text(message, "body"));
            Assert.Equal($"/campaigns/{data.CampaignId}/reports/441202/1", Text(message, "link"));
        }
        Assert.Empty((await InboxAsync(dinghu)).Messages);
        Assert.Empty(ReviewsOnly((await InboxAsync(city)).Messages));
        // The link works for the unit's administrator: the report page.
        var browser = app.PageClient();
        await browser.SignInAsync("duanzhou", "Unit-admin-2019");
        Assert.Contains("请补充线下植树活动", (await browser.GetPageAsync($"/campaigns/{data.CampaignId}/reports/441202/1")).Body!.TextContent);

        // Resubmitted, the town waived, approved, then reopened by the city.
        await OkAsync(await duanzhou.PostAsJsonAsync(report + "/submit", new { contactName = "李干事", contactPhone = "0758-2230000" }));
        await OkAsync(await city.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/{CampaignData.Town}/1/waive", new { comment = "街道本期无活动" }));
        await OkAsync(await city.PostAsJsonAsync(report + "/approve", new { comment = "" }));
        await OkAsync(await city.PostAsJsonAsync(report + "/reopen", new { comment = "省里要求补充媒体数据" }));
        var messages = ReviewsOnly((await InboxAsync(duanzhou)).Messages);
        Assert.Equal(["ReportReopened", "ReportApproved", "ReportReturned"], messages.Select(Kind));
        Assert.Equal($"贵单位报送的{CampaignData.Name}第1期统计表（3月1日至3月7日）已审核通过并锁定。", Text(messages[1], "body"));
        Assert.EndsWith("原因：省里要求补充媒体数据", Text(messages[0], "body"));
        Assert.Equal(3, ReviewsOnly((await InboxAsync(duanzhou2)).Messages).Count);
        Assert.Empty((await InboxAsync(dinghu)).Messages);
        Assert.Equal(6, (await AllMessagesAsync()).Count(m => m.Kind is not (MessageKind.ReportReminder or MessageKind.ReportOverdue)));
    }

    [Fact]
    public async Task AReportComingDueAndThenOverdueTellsTheUnitsAdministratorsOnceEachEvenWithTwoNodes()
    {
        app.Clock.Offset = new DateTimeOffset(2024, 3, 7, 10, 0, 0, China) - DateTimeOffset.UtcNow;
        using var city = await app.ApiClientAsync();
        var campaignId = await CampaignData.OpenAsync(city, depth: 1, year: 2024);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        using var second = new TestApp(app.Database);
        second.Clock.Offset = app.Clock.Offset;

        async Task ScheduleAsync(TestApp node)
        {
            await using var scope = node.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<ReportNotices>().ScheduleAsync();
        }

        await Task.WhenAll(ScheduleAsync(app), ScheduleAsync(second), ScheduleAsync(app), ScheduleAsync(second));
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        var reminder = Assert.Single((await InboxAsync(duanzhou)).Messages);
        Assert.Equal("ReportReminder", Kind(reminder));
        Assert.Equal($"报表即将截止：{CampaignData.Name}第1期统计表（3月1日至3月7日）", Text(reminder, "title"));
        Assert.Contains("将于 2024-03-08 00:00 截止", Text(reminder, "body"));
        Assert.Equal($"/campaigns/{campaignId}/reports/441202/1", Text(reminder, "link"));

        app.Clock.Advance(TimeSpan.FromHours(23));
        second.Clock.Offset = app.Clock.Offset;
        await Task.WhenAll(ScheduleAsync(app), ScheduleAsync(second));
        using var duanzhouLater = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        var messages = (await InboxAsync(duanzhouLater)).Messages;
        Assert.Equal(["ReportOverdue", "ReportReminder"], messages.Select(Kind));
        Assert.Contains("已于 2024-03-08 00:00 截止", Text(messages[0], "body"));
        // The city's own unit is expected to report too: its administrator is reminded as well; no other unit has an administrator.
        var all = await AllMessagesAsync();
        Assert.Equal(4, all.Count);
        Assert.All(all.GroupBy(m => m.RecipientUserId), g => Assert.Equal([MessageKind.ReportReminder, MessageKind.ReportOverdue], g.OrderBy(m => m.CreatedAtUtc).Select(m => m.Kind)));
    }
}
