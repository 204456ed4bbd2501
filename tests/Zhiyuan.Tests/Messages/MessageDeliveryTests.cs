using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Zhiyuan.Tests.Campaigns;
using Zhiyuan.Tests.Sms;
using Zhiyuan.Web.Messages;
using static Zhiyuan.Tests.Activities.Scenario;
using static Zhiyuan.Tests.Messages.MessageTests;

namespace Zhiyuan.Tests.Messages;

/// <summary>Messages beyond the centre: mail to an account's address and a text message for a waitlist promotion, each sent once, after the request, by one node.</summary>
public sealed class MessageDeliveryTests : IDisposable
{
    readonly TestMailServer mail = new();
    readonly TestApp app = new();

    public void Dispose()
    {
        app.Dispose();
        mail.Dispose();
    }

    static async Task DeliverAsync(TestApp node)
    {
        await using var scope = node.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<MessageDelivery>().SendPendingAsync();
    }

    /// <summary>
    /// Waits (boundedly) until no node holds the message any more: every node also delivers in the
    /// background, and the one that claimed it may still be sending when the test's own run returns.
    /// </summary>
    async Task<Message> SettledAsync(Guid id)
    {
        for (var i = 0; i < 300; i++)
        {
            var message = await app.WithDbAsync(db => db.Messages.AsNoTracking().SingleAsync(m => m.Id == id));
            if (message.DeliveryDoneAtUtc is not null)
            {
                return message;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"message {id} was never delivered");
    }

    async Task AdminAsync(string userName, string unitCode, string? email)
    {
        using var city = await app.ApiClientAsync();
        await OkAsync(await city.PostAsJsonAsync("/api/accounts", new { userName, displayName = userName, password = "Unit-admin-2019", role = "UnitAdmin", unitCode, email }));
    }

    /// <summary>端州's report for period 1, submitted and returned by the city: one message for each of 端州's administrators.</summary>
    async Task<CampaignData> ReturnedReportAsync()
    {
        var data = await CampaignData.CreateAsync(app);
        await AdminAsync("duanzhou", "441202", "duanzhou@zq.test");
        await AdminAsync("duanzhou2", "441202", null);
        app.Clock.Offset = new DateTimeOffset(2019, 3, 7, 20, 0, 0, China) - DateTimeOffset.UtcNow;
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var city = await app.ApiClientAsync();
        var report = $"/api/campaigns/{data.CampaignId}/reports/441202/1";
        await OkAsync(await duanzhou.PostAsJsonAsync(report + "/submit", new { contactName = "李干事", contactPhone = "0758-2230000" }));
        await OkAsync(await city.PostAsJsonAsync(report + "/return", new { comment = "请补充线下植树活动" }));
        return data;
    }

    Task<List<Message>> ReturnedMessagesAsync() =>
        app.WithDbAsync(db => db.Messages.AsNoTracking().Where(m => m.Kind == MessageKind.ReportReturned).ToListAsync());

    [Fact]
    public async Task AMessageIsMailedOnceToAnAccountWithAnAddressEvenWithTwoNodesAndTheCentreSaysSo()
    {
        mail.Configure(app);
        var data = await ReturnedReportAsync();
        await using var second = new TestApp(app.Database);
        mail.Configure(second);
        second.Clock.Offset = app.Clock.Offset;

        // Both nodes deliver at the same moment, twice.
        await Task.WhenAll(DeliverAsync(app), DeliverAsync(second), DeliverAsync(app), DeliverAsync(second));
        var messages = await ReturnedMessagesAsync();
        Assert.Equal(2, messages.Count);
        var settled = new List<Message>();
        foreach (var message in messages)
        {
            settled.Add(await SettledAsync(message.Id));
        }
        await Task.WhenAll(DeliverAsync(app), DeliverAsync(second));

        // (The report notices mail too — here a reminder of the demo campaign, due at the test's clock — under their own subjects.)
        var sent = Assert.Single(mail.Messages, m => m.Subject?.StartsWith("【志愿肇庆】", StringComparison.Ordinal) == true);
        Assert.Equal(["duanzhou@zq.test"], sent.To.Mailboxes.Select(m => m.Address));
        Assert.Equal($"【志愿肇庆】报表被退回：{CampaignData.Name}第1期统计表（3月1日至3月7日）", sent.Subject);
        Assert.Contains("意见：请补充线下植树活动", sent.TextBody);
        Assert.Contains($"https://zhiyuan.example/campaigns/{data.CampaignId}/reports/441202/1", sent.TextBody);
        Assert.Contains("https://zhiyuan.example/messages", sent.TextBody);
        // The administrator without an address is told in the centre only, and the record says why no mail went.
        var withoutAddress = settled.Single(m => m.EmailedAtUtc is null);
        Assert.Contains("no email address", withoutAddress.DeliveryNote);
        Assert.Null(settled.Single(m => m.EmailedAtUtc is not null).DeliveryNote);

        // The centre says a mail went out only where one did.
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var duanzhou2 = await app.ApiClientAsync("duanzhou2", "Unit-admin-2019");
        static System.Text.Json.JsonElement Returned(List<System.Text.Json.JsonElement> messages) =>
            Assert.Single(messages, m => m.GetProperty("kind").GetString() == "ReportReturned");
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, Returned((await InboxAsync(duanzhou)).Messages).GetProperty("emailedAtUtc").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, Returned((await InboxAsync(duanzhou2)).Messages).GetProperty("emailedAtUtc").ValueKind);
        var browser = app.PageClient();
        await browser.SignInAsync("duanzhou", "Unit-admin-2019");
        Assert.Contains("已发送邮件", (await browser.GetPageAsync("/messages")).QuerySelector("#messages")!.TextContent);
        Assert.DoesNotContain("已发送短信", (await browser.GetPageAsync("/messages")).QuerySelector("#messages")!.TextContent);
    }

    [Fact]
    public async Task AMessageClaimedByANodeThatDiedIsMailedByTheOtherOnceTheClaimRunsOutAndOnlyOnce()
    {
        mail.Configure(app);
        await ReturnedReportAsync();
        await using var second = new TestApp(app.Database);
        mail.Configure(second);
        second.Clock.Offset = app.Clock.Offset;
        var duanzhouId = await app.WithDbAsync(db => db.Users.Where(u => u.UserName == "duanzhou").Select(u => u.Id).SingleAsync());
        var mailed = (await ReturnedMessagesAsync()).Single(m => m.RecipientUserId == duanzhouId);

        // The first node claims the message as its delivery does, then dies (SIGKILL: no code runs after the claim).
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var claimed = await app.WithDbAsync(db => db.Messages
            .Where(m => m.Id == mailed.Id && m.DeliveryDoneAtUtc == null && (m.DeliveryClaimedUntilUtc == null || m.DeliveryClaimedUntilUtc < now))
            .ExecuteUpdateAsync(m => m.SetProperty(x => x.DeliveryClaimedUntilUtc, now.AddMinutes(5)).SetProperty(x => x.DeliveryAttempts, x => x.DeliveryAttempts + 1)));
        Assert.Equal(1, claimed);
        // (The first node's own clock never passes the claim: it stands for the node that is gone.)

        // The survivor leaves it alone while the claim lasts …
        await DeliverAsync(second);
        Assert.DoesNotContain(mail.Messages, m => m.Subject?.StartsWith("【志愿肇庆】", StringComparison.Ordinal) == true);
        // … and mails it once the claim has run out: nothing is dropped, and nothing goes twice however often it runs.
        second.Clock.Offset += TimeSpan.FromMinutes(6);
        await Task.WhenAll(DeliverAsync(second), DeliverAsync(second));
        await DeliverAsync(second);
        var sent = Assert.Single(mail.Messages, m => m.Subject?.StartsWith("【志愿肇庆】", StringComparison.Ordinal) == true);
        Assert.Equal(["duanzhou@zq.test"], sent.To.Mailboxes.Select(m => m.Address));
        var record = await second.WithDbAsync(db => db.Messages.AsNoTracking().SingleAsync(m => m.Id == mailed.Id));
        Assert.NotNull(record.EmailedAtUtc);
        Assert.NotNull(record.DeliveryDoneAtUtc);
        Assert.Equal(2, record.DeliveryAttempts);
    }

    [Fact]
    public async Task AMailServerThatIsDownNeitherFailsTheRequestNorMarksTheMessageSentAndItIsTriedAgainLater()
    {
        app.Settings["Mail:Host"] = "127.0.0.1";
        app.Settings["Mail:Port"] = "1";
        app.Settings["Mail:Security"] = "None";
        // The return answered 200 although no mail can go.
        await ReturnedReportAsync();
        var userId = await app.WithDbAsync(db => db.Users.Where(u => u.UserName == "duanzhou").Select(u => u.Id).SingleAsync());
        var id = (await ReturnedMessagesAsync()).Single(m => m.RecipientUserId == userId).Id;
        // Tried by this run or by the background one: either way a failure, noted, claimed for a while, not done.
        await DeliverAsync(app);
        Message? message = null;
        for (var i = 0; i < 300 && message?.DeliveryNote is null; i++)
        {
            message = await app.WithDbAsync(db => db.Messages.AsNoTracking().SingleAsync(m => m.Id == id));
            if (message.DeliveryNote is null)
            {
                await Task.Delay(200);
            }
        }
        Assert.Contains("mail failed", message!.DeliveryNote);
        Assert.Null(message.EmailedAtUtc);
        Assert.Null(message.DeliveryDoneAtUtc);
        Assert.True(message.DeliveryClaimedUntilUtc > app.Clock.GetUtcNow().UtcDateTime);
        Assert.InRange(message.DeliveryAttempts, 1, 2);
    }

    /// <summary>
    /// A session of one place, taken; a second volunteer waits; the first cancels. Returns the promoted volunteer's mobile.
    /// The volunteers register with the codes the gateway received, which are then forgotten: only notices are left to count.
    /// </summary>
    async Task<(string Number, string Mobile)> PromotionAsync(TestSmsGateway gateway)
    {
        using var admin = await app.ApiClientAsync();
        var session = SessionId(await PublishedAsync(admin, Activity(await OrganizationAsync(admin), InDays(3), capacity: 1, title: "西江河畔清洁行动周末第二场次")));
        var v = await app.VolunteersAsync(2, firstSerial: 300, sms: gateway);
        gateway.Received.Clear();
        await OkAsync(await v[0].Client.SignUpAsync(session));
        await OkAsync(await v[1].Client.SignUpAsync(session));
        await OkAsync(await v[0].Client.DeleteAsync($"/api/sessions/{session}/signups/me"));
        return (v[1].Number, "139" + 301.ToString("D8"));
    }

    [Fact]
    public async Task AWaitlistPromotionIsTextedOnceThroughTheCitysGatewayEvenWithTwoNodes()
    {
        await using var gateway = await TestSmsGateway.StartAsync();
        gateway.ConfigureWebhook(app);
        var (number, mobile) = await PromotionAsync(gateway);
        await using var second = new TestApp(app.Database);
        gateway.ConfigureWebhook(second);

        await Task.WhenAll(DeliverAsync(app), DeliverAsync(second), DeliverAsync(app), DeliverAsync(second));
        var promotion = await app.WithDbAsync(db => db.Messages.AsNoTracking().SingleAsync(m => m.Kind == MessageKind.WaitlistPromoted));
        var settled = await SettledAsync(promotion.Id);
        await Task.WhenAll(DeliverAsync(app), DeliverAsync(second));

        var text = Assert.Single(gateway.Received);
        Assert.Equal(mobile, text.Json.GetProperty("phone").GetString());
        Assert.Equal("notice", text.Json.GetProperty("purpose").GetString());
        Assert.Equal("WaitlistPromoted", text.Json.GetProperty("kind").GetString());
        Assert.Equal("您已候补转正：西江河畔清洁行动周末第二场次", text.Json.GetProperty("text").GetString());
        Assert.StartsWith("sha256=", text.Headers[WebhookHeader]);
        Assert.NotNull(settled.TextedAtUtc);
        // No mail server here, and volunteers have no address: the record says so, and nothing claims a mail.
        Assert.Null(settled.EmailedAtUtc);
        Assert.Contains("no mail", settled.DeliveryNote);

        using var volunteer = await app.ApiClientAsync(number, Volunteers.People.Password);
        var message = Assert.Single((await InboxAsync(volunteer)).Messages);
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, message.GetProperty("textedAtUtc").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, message.GetProperty("emailedAtUtc").ValueKind);
    }

    static readonly string WebhookHeader = Zhiyuan.Web.Infrastructure.WebhookSmsSender.SignatureHeader.ToLowerInvariant();

    [Fact]
    public async Task TencentCloudTextsAPromotionWithTheNoticeTemplateAndItsShortTitle()
    {
        await using var gateway = await TestSmsGateway.StartAsync();
        gateway.ConfigureTencentCloud(app);
        app.Settings["Sms:NoticeTemplateId"] = "450001";
        var (_, mobile) = await PromotionAsync(gateway);
        await DeliverAsync(app);
        var promotion = await app.WithDbAsync(db => db.Messages.AsNoTracking().SingleAsync(m => m.Kind == MessageKind.WaitlistPromoted));
        Assert.NotNull((await SettledAsync(promotion.Id)).TextedAtUtc);
        var request = Assert.Single(gateway.Received).Json;
        Assert.Equal("450001", request.GetProperty("TemplateId").GetString());
        Assert.Equal("+86" + mobile, request.GetProperty("PhoneNumberSet")[0].GetString());
        // One parameter, cut to what an approved template's variable takes.
        var parameter = Assert.Single(request.GetProperty("TemplateParamSet").EnumerateArray()).GetString()!;
        Assert.Equal(Zhiyuan.Web.Infrastructure.TencentCloudSmsSender.NoticeParameterMaxLength, parameter.Length);
        Assert.StartsWith("您已候补转正：西江河畔清洁", parameter);
        Assert.EndsWith("…", parameter);
    }

    [Fact]
    public async Task WithoutAGatewayOrWithoutANoticeTemplateNoTextGoesAndNothingSaysOneDid()
    {
        await using var gateway = await TestSmsGateway.StartAsync();
        // Tencent Cloud for codes, but no approved notice template: no notices by text.
        gateway.ConfigureTencentCloud(app);
        var (number, _) = await PromotionAsync(gateway);
        await DeliverAsync(app);
        var promotion = await app.WithDbAsync(db => db.Messages.AsNoTracking().SingleAsync(m => m.Kind == MessageKind.WaitlistPromoted));
        Assert.Null(promotion.TextedAtUtc);
        Assert.Empty(gateway.Received);
        using var volunteer = await app.ApiClientAsync(number, Volunteers.People.Password);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, Assert.Single((await InboxAsync(volunteer)).Messages).GetProperty("textedAtUtc").ValueKind);
        var browser = app.PageClient();
        await browser.SignInAsync(number, Volunteers.People.Password);
        var page = await browser.GetPageAsync("/messages");
        Assert.Contains("您已候补转正", page.QuerySelector("#messages")!.TextContent);
        Assert.DoesNotContain("已发送短信", page.QuerySelector("#messages")!.TextContent);
    }
}
