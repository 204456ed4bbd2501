using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Campaigns;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Sms;

/// <summary>忘记密码: volunteers by a code on their registered mobile, administrators by a mailed link; single use, 15 minutes, one answer for all.</summary>
public sealed partial class PasswordRecoveryTests
{
    [Fact]
    public async Task AVolunteerRecoversByTheCodeSentToTheRegisteredMobileOnce()
    {
        await using var gateway = await TestSmsGateway.StartAsync();
        await using var app = new TestApp();
        gateway.ConfigureTencentCloud(app);
        // Registration took a code to the same mobile: only the recovery's message counts below.
        var (number, _) = (await app.VolunteersAsync(1, 100, sms: gateway))[0];
        gateway.Received.Clear();
        using var client = app.CreateClient();
        var known = await OkAsync(await client.PostAsJsonAsync("/api/auth/recovery", new { userName = number }));
        var request = Assert.Single(gateway.Received);
        Assert.Equal("+8613900000100", request.Json.GetProperty("PhoneNumberSet")[0].GetString());
        Assert.Equal("449740", request.Json.GetProperty("TemplateId").GetString());
        var code = request.Json.GetProperty("TemplateParamSet")[0].GetString()!;
        Assert.Equal("15", request.Json.GetProperty("TemplateParamSet")[1].GetString());

        // An unknown account gets word for word the same answer, and nothing is sent.
        var unknown = await OkAsync(await client.PostAsJsonAsync("/api/auth/recovery", new { userName = "ZY-nobody-0000" }));
        Assert.Equal(known.ToString(), unknown.ToString());
        Assert.Single(gateway.Received);

        var wrong = code == "000000" ? "111111" : "000000";
        await Pages.AssertFieldErrorAsync(await client.PostAsJsonAsync("/api/auth/recovery/complete", new { userName = number, code = wrong, newPassword = "Recovered-2019" }), "code", "不正确");
        await Pages.AssertFieldErrorAsync(await client.PostAsJsonAsync("/api/auth/recovery/complete", new { userName = number, code, newPassword = "short" }), "newPassword", "");
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync("/api/auth/recovery/complete", new { userName = number, code, newPassword = "Recovered-2019" })).StatusCode);
        using var signedIn = await app.ApiClientAsync(number, "Recovered-2019");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/auth/token", new { userName = number, password = People.Password })).StatusCode);
        // Used once: the same code cannot set another password.
        await Pages.AssertFieldErrorAsync(await client.PostAsJsonAsync("/api/auth/recovery/complete", new { userName = number, code, newPassword = "Again-2019-pass" }), "code", "已使用");
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "account.password-recovered")));
    }

    [Fact]
    public async Task AVolunteerMayNameTheAccountByTheRegisteredMobileAsWhenSigningIn()
    {
        await using var gateway = await TestSmsGateway.StartAsync();
        await using var app = new TestApp();
        gateway.ConfigureWebhook(app);
        var (number, _) = (await app.VolunteersAsync(1, 100, sms: gateway))[0];
        using var client = app.CreateClient();
        await OkAsync(await client.PostAsJsonAsync("/api/auth/recovery", new { userName = "13900000100" }));
        var message = gateway.Received.Last().Json;
        Assert.Equal("recovery", message.GetProperty("purpose").GetString());
        Assert.Equal("13900000100", message.GetProperty("phone").GetString());
        var code = message.GetProperty("code").GetString();
        Assert.Equal(HttpStatusCode.NoContent,
            (await client.PostAsJsonAsync("/api/auth/recovery/complete", new { userName = "13900000100", code, newPassword = "Recovered-2019" })).StatusCode);
        using var signedIn = await app.ApiClientAsync(number, "Recovered-2019");
    }

    [Fact]
    public async Task AnAdministratorRecoversByTheMailedLinkWhichExpiresAfterFifteenMinutes()
    {
        using var mail = new TestMailServer();
        await using var app = new TestApp();
        mail.Configure(app);
        using var city = await app.ApiClientAsync();
        await OkAsync(await city.PostAsJsonAsync("/api/accounts", new { userName = "dz-admin", displayName = "端州管理员", password = "Unit-admin-2019", role = "UnitAdmin", unitCode = "441202", email = "dz@zhiyuan.example" }));
        using var browser = app.PageClient();
        var signIn = await browser.GetPageAsync("/account/sign-in");
        Assert.Equal("/account/recover", signIn.QuerySelector("#forgot-password")!.GetAttribute("href"));
        var page = await browser.GetPageAsync("/account/recover");
        var sent = await browser.PostFormAsync("/account/recover", page, "recover", ("Input.UserName", "dz-admin"));
        var answer = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await sent.Content.ReadAsStringAsync());
        Assert.Contains("如果该账户存在", answer.QuerySelector("#recovery-started")!.TextContent);
        var message = Assert.Single(mail.Messages);
        Assert.Equal("dz@zhiyuan.example", message.To.Mailboxes.Single().Address);
        var link = LinkPattern().Match(message.TextBody!).Value;
        Assert.StartsWith("https://zhiyuan.example/account/recover/complete?user=dz-admin&code=", link);

        // The link opens the page with the name and token filled in; the new password is set there.
        var path = new Uri(link).PathAndQuery;
        var form = await browser.GetPageAsync(path);
        var token = form.QuerySelector("#recovery-code")!.GetAttribute("value")!;
        var done = await browser.PostFormAsync(path, form, "recover-complete", ("Input.UserName", "dz-admin"), ("Input.Code", token), ("Input.NewPassword", "Recovered-2019"));
        var donePage = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await done.Content.ReadAsStringAsync());
        Assert.NotNull(donePage.QuerySelector("#recovery-done"));
        using var signedIn = await app.ApiClientAsync("dz-admin", "Recovered-2019");

        // A second link, left for sixteen minutes, no longer works.
        using var client = app.CreateClient();
        await OkAsync(await client.PostAsJsonAsync("/api/auth/recovery", new { userName = "dz-admin" }));
        var second = LinkPattern().Match(mail.Messages.Last().TextBody!).Value;
        var secondToken = second[(second.IndexOf("code=") + 5)..];
        app.Clock.Advance(TimeSpan.FromMinutes(16));
        await Pages.AssertFieldErrorAsync(await client.PostAsJsonAsync("/api/auth/recovery/complete", new { userName = "dz-admin", code = secondToken, newPassword = "Expired-2019-x" }), "code", "过期");
    }

    [Fact]
    public async Task WithoutTextMessagesOrMailTheAnswerSaysSoTheSameForEveryName()
    {
        await using var app = new TestApp();
        app.Settings["Sms:Provider"] = "None";
        var (number, _) = (await app.VolunteersAsync(1, 100))[0];
        using var client = app.CreateClient();
        var known = await OkAsync(await client.PostAsJsonAsync("/api/auth/recovery", new { userName = number }));
        var unknown = await OkAsync(await client.PostAsJsonAsync("/api/auth/recovery", new { userName = "nobody" }));
        Assert.Equal(known.ToString(), unknown.ToString());
        Assert.Contains("未配置短信服务", known.GetProperty("message").GetString());
        Assert.Contains("未配置邮件服务", known.GetProperty("message").GetString());
        Assert.Equal(0, await app.WithDbAsync(db => db.PasswordRecoveries.CountAsync()));
        var page = await app.PageClient().GetPageAsync("/account/recover");
        Assert.NotNull(page.QuerySelector("#recovery-sms-not-configured"));
        Assert.NotNull(page.QuerySelector("#recovery-mail-not-configured"));
    }

    [Fact]
    public async Task RecoveryRequestsAreLimitedPerNameTypedWhetherOrNotTheAccountExists()
    {
        await using var app = new TestApp();
        var (number, _) = (await app.VolunteersAsync(1, 100))[0];
        using var client = app.CreateClient();
        foreach (var name in new[] { number, "nobody" })
        {
            for (var i = 0; i < 3; i++)
            {
                await OkAsync(await client.PostAsJsonAsync("/api/auth/recovery", new { userName = name }));
            }
            await Pages.AssertFieldErrorAsync(await client.PostAsJsonAsync("/api/auth/recovery", new { userName = name }), "userName", "过于频繁");
        }
    }

    [GeneratedRegex(@"https://\S+")]
    private static partial Regex LinkPattern();
}
