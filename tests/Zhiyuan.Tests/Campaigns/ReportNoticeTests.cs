using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Zhiyuan.Web.Campaigns;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Campaigns;

public sealed class ReportNoticeTests : IDisposable
{
    readonly TestMailServer mail = new();
    readonly TestApp app = new();

    public void Dispose()
    {
        app.Dispose();
        mail.Dispose();
    }

    static async Task RunNoticesAsync(TestApp node)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var notices = scope.ServiceProvider.GetRequiredService<ReportNotices>();
        await notices.ScheduleAsync();
        await notices.SendPendingAsync();
    }

    async Task AdminWithEmailAsync(string userName, string unitCode)
    {
        using var city = await app.ApiClientAsync();
        await OkAsync(await city.PostAsJsonAsync("/api/accounts", new { userName, displayName = userName, password = "Unit-admin-2019", role = "UnitAdmin", unitCode, email = $"{userName}@zq.test" }));
    }

    List<string> SubjectsTo(string userName) =>
        mail.Messages.Where(m => m.To.Mailboxes.Any(b => b.Address == $"{userName}@zq.test")).Select(m => m.Subject ?? "").ToList();

    [Fact]
    public async Task RemindersOverdueNoticesAndReceiptsGoOutOnceEachEvenWithTwoNodes()
    {
        mail.Configure(app);
        app.Clock.Offset = new DateTimeOffset(2024, 3, 7, 10, 0, 0, China) - DateTimeOffset.UtcNow;
        using var city = await app.ApiClientAsync();
        var campaignId = await CampaignData.OpenAsync(city, depth: 1, year: 2024);
        await AdminWithEmailAsync("duanzhou", "441202");
        await AdminWithEmailAsync("dinghu", "441203");
        using var second = new TestApp(app.Database);
        mail.Configure(second);
        second.Clock.Offset = app.Clock.Offset;

        // (The demo campaign of March 2019 is long over: only this one sends anything.)
        // Thursday 10:00, the day before the first due time: both nodes look at once.
        await Task.WhenAll(RunNoticesAsync(app), RunNoticesAsync(second), RunNoticesAsync(app), RunNoticesAsync(second));
        Assert.Equal(["【提醒】" + CampaignData.Name + "第1期统计表（3月1日至3月7日）"], SubjectsTo("duanzhou"));
        Assert.Single(SubjectsTo("dinghu"));
        var body = mail.Messages.First(m => m.To.Mailboxes.Any(b => b.Address == "duanzhou@zq.test")).TextBody;
        Assert.Contains("2024-03-08 00:00", body);
        Assert.Contains($"https://zhiyuan.example/campaigns/{campaignId}/reports/441202/1", body);
        // Every expected unit has its reminder recorded once; units without an administrator's address are noted, not mailed.
        var reminders = await app.WithDbAsync(db => db.CampaignNotices.Where(n => n.Kind == NoticeKind.Reminder).ToListAsync());
        Assert.Equal(19, reminders.Count);
        Assert.Equal(19, reminders.Select(n => n.UnitId).Distinct().Count());
        Assert.All(reminders, n => Assert.NotNull(n.SentAtUtc));
        Assert.Equal(2, reminders.Count(n => n.LastError is null));

        // 鼎湖 submits in time; on Friday morning only 端州 is overdue.
        using var dinghu = await app.ApiClientAsync("dinghu", "Unit-admin-2019");
        await OkAsync(await dinghu.PostAsJsonAsync($"/api/campaigns/{campaignId}/reports/441203/1/submit", new { contactName = "王干事", contactPhone = "0758-2660000" }));
        app.Clock.Advance(TimeSpan.FromHours(23));
        second.Clock.Offset = app.Clock.Offset;
        await Task.WhenAll(RunNoticesAsync(app), RunNoticesAsync(second));
        await Task.WhenAll(RunNoticesAsync(app), RunNoticesAsync(second));
        Assert.Equal(2, SubjectsTo("duanzhou").Count);
        Assert.StartsWith("【逾期】", SubjectsTo("duanzhou")[1]);
        Assert.Single(SubjectsTo("dinghu"));

        // The city approves 鼎湖's report: a receipt, once.
        using var cityFriday = await app.ApiClientAsync();
        await OkAsync(await cityFriday.PostAsJsonAsync($"/api/campaigns/{campaignId}/reports/441203/1/approve", new { comment = "" }));
        await Task.WhenAll(RunNoticesAsync(app), RunNoticesAsync(second), RunNoticesAsync(app));
        Assert.Equal(2, SubjectsTo("dinghu").Count);
        Assert.StartsWith("【回执】", SubjectsTo("dinghu")[1]);
        Assert.Equal(4, mail.Messages.Count);
    }

    [Fact]
    public async Task AMailServerThatIsDownLeavesTheNoticeToBeRetriedLater()
    {
        app.Settings["Mail:Host"] = "127.0.0.1";
        app.Settings["Mail:Port"] = "1";
        app.Settings["Mail:Security"] = "None";
        app.Clock.Offset = new DateTimeOffset(2024, 3, 7, 10, 0, 0, China) - DateTimeOffset.UtcNow;
        using var city = await app.ApiClientAsync();
        await CampaignData.OpenAsync(city, depth: 1, year: 2024);
        await AdminWithEmailAsync("duanzhou", "441202");
        await RunNoticesAsync(app);
        var notice = await app.WithDbAsync(db => db.CampaignNotices.SingleAsync(n => n.UnitId == db.Units.Single(u => u.Code == "441202").Id));
        Assert.Null(notice.SentAtUtc);
        Assert.NotNull(notice.LastError);
        Assert.True(notice.ClaimedUntilUtc > app.Clock.GetUtcNow().UtcDateTime);
    }
}
