using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Sms;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Volunteers;

/// <summary>
/// 获取验证码 at registration: with a gateway the mobile is proven by the code sent to it and stored
/// verified; without one nothing is sent, nothing claims it was, and the mobile is stored unverified.
/// </summary>
public sealed class MobileVerificationTests
{
    const string Mobile = "13912345678";

    static readonly string Id = People.ResidentId(1990, 123);

    [Fact]
    public async Task WithAGatewayRegistrationTakesTheCodeSentToTheMobileOnceAndStoresTheMobileVerified()
    {
        await using var gateway = await TestSmsGateway.StartAsync();
        await using var app = new TestApp();
        gateway.ConfigureWebhook(app);
        using var client = app.CreateClient();

        // Without a code, with no code asked for, with a wrong one: refused in Chinese, nothing saved.
        await Pages.AssertFieldErrorAsync(await client.PostAsJsonAsync("/api/volunteers", People.Registration("李明", Id, Mobile)), "code", "获取验证码");
        await Pages.AssertFieldErrorAsync(await client.PostAsJsonAsync("/api/volunteers", People.Registration("李明", Id, Mobile, code: "123456")), "code", "没有可用的验证码");
        var sent = await OkAsync(await client.PostAsJsonAsync("/api/volunteers/verification-codes", new { mobile = Mobile }));
        Assert.Equal("139****5678", sent.GetProperty("phoneMasked").GetString());
        Assert.Equal("TextMessage", sent.GetProperty("delivery").GetString());
        var message = Assert.Single(gateway.Received).Json;
        Assert.Equal(Mobile, message.GetProperty("phone").GetString());
        Assert.Equal("mobile", message.GetProperty("purpose").GetString());
        Assert.Equal(10, message.GetProperty("validMinutes").GetInt32());
        var code = message.GetProperty("code").GetString()!;
        var wrong = code == "000000" ? "111111" : "000000";
        await Pages.AssertFieldErrorAsync(await client.PostAsJsonAsync("/api/volunteers", People.Registration("李明", Id, Mobile, code: wrong)), "code", "验证码不正确");
        // A refusal for another field costs none of the code's attempts and says nothing about the code.
        var weak = await client.PostAsJsonAsync("/api/volunteers", new { name = "李明", documentType = "ResidentId", documentNumber = Id, mobile = Mobile, unitCode = "441202", password = "short", code });
        Assert.DoesNotContain("\"code\"", await weak.Content.ReadAsStringAsync());
        Assert.Equal(0, await app.WithDbAsync(db => db.Volunteers.CountAsync()));
        Assert.Equal(0, await app.WithDbAsync(db => db.Users.CountAsync(u => u.UserName!.StartsWith("ZY"))));

        var registered = await OkAsync(await client.PostAsJsonAsync("/api/volunteers", People.Registration("李明", Id, Mobile, code: code)));
        Assert.True(registered.GetProperty("mobileVerified").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, registered.GetProperty("mobileVerifiedAtUtc").ValueKind);
        var number = registered.GetProperty("number").GetString()!;
        Assert.NotNull(await app.WithDbAsync(db => db.Volunteers.Select(v => v.MobileVerifiedAtUtc).SingleAsync()));
        Assert.Equal(1, await app.WithDbAsync(db => db.PhoneVerifications.CountAsync(v => v.UsedAtUtc != null)));

        // The owner and an administrator of the unit see it verified, through the API and on the pages.
        using var own = await app.ApiClientAsync(number, People.Password);
        Assert.True((await own.GetFromJsonAsync<JsonElement>("/api/volunteers/me")).GetProperty("mobileVerified").GetBoolean());
        using var city = await app.ApiClientAsync();
        Assert.True((await city.GetFromJsonAsync<JsonElement>($"/api/volunteers/{number}")).GetProperty("mobileVerified").GetBoolean());
        Assert.True((await city.GetFromJsonAsync<JsonElement>("/api/volunteers")).GetProperty("items")[0].GetProperty("mobileVerified").GetBoolean());
        var revealed = await OkAsync(await city.PostAsJsonAsync($"/api/volunteers/{number}/personal-data", new { reason = "核对手机号码" }));
        Assert.True(revealed.GetProperty("mobileVerified").GetBoolean());
        using var volunteerPages = app.PageClient();
        await volunteerPages.SignInAsync(number, People.Password);
        var me = await volunteerPages.GetPageAsync("/me");
        Assert.Equal("已验证", me.QuerySelector("#my-mobile-state")!.TextContent);
        Assert.Null(me.QuerySelector("#verify-hint"));
        using var adminPages = app.PageClient();
        await adminPages.SignInAsync("admin", TestApp.AdminPassword);
        Assert.Equal("已验证", (await adminPages.GetPageAsync($"/volunteers/{number}")).QuerySelector("#mobile-state")!.TextContent);

        // Another mobile's code, an expired code and an order's code for the very number register no one.
        var second = People.ResidentId(1991, 125);
        var otherCode = await app.MobileCodeAsync(gateway, "13912340000");
        await Pages.AssertFieldErrorAsync(await client.PostAsJsonAsync("/api/volunteers", People.Registration("王芳", second, "13912341111", code: otherCode)), "code", "没有可用的验证码");
        await app.MobileCodeAsync(gateway, "13912342222");
        app.Clock.Advance(TimeSpan.FromMinutes(11));
        await Pages.AssertFieldErrorAsync(await client.PostAsJsonAsync("/api/volunteers",
            People.Registration("王芳", second, "13912342222", code: gateway.LatestCodeTo("13912342222"))), "code", "没有可用的验证码");
        await OkAsync(await client.PostAsJsonAsync("/api/orders/verification-codes", new { phone = "13912343333" }));
        await Pages.AssertFieldErrorAsync(await client.PostAsJsonAsync("/api/volunteers",
            People.Registration("王芳", second, "13912343333", code: gateway.LatestCodeTo("13912343333"))), "code", "没有可用的验证码");
        Assert.Equal(1, await app.WithDbAsync(db => db.Volunteers.CountAsync()));

        // A registered volunteer's mobile gets no registration code (the message would be wasted and the answer is the same as registering).
        await Pages.AssertFieldErrorAsync(await client.PostAsJsonAsync("/api/volunteers/verification-codes", new { mobile = Mobile }), "mobile", "已被其他志愿者使用");
        await Pages.AssertFieldErrorAsync(await client.PostAsJsonAsync("/api/volunteers/verification-codes", new { mobile = "1391234" }), "mobile", "");
    }

    [Theory]
    [InlineData("None")]
    [InlineData(null)]
    public async Task WithoutAGatewayRegistrationTakesNoCodeAndTheMobileIsShownNotVerified(string? provider)
    {
        // Unset under Development, codes of orders go to the log; a log proves nothing about a mobile, so registration takes none either.
        await using var app = new TestApp();
        if (provider is not null)
        {
            app.Settings["Sms:Provider"] = provider;
        }
        using var pages = app.PageClient();
        var form = await pages.GetPageAsync("/volunteers/register");
        Assert.Contains("未配置短信服务", form.QuerySelector("#mobile-not-verified")!.TextContent);
        Assert.Contains("未验证", form.QuerySelector("#mobile-not-verified")!.TextContent);
        Assert.Null(form.QuerySelector("#send-code"));
        Assert.Null(form.QuerySelector("#code"));
        Assert.Null(form.QuerySelector("#code-sent"));

        using var client = app.CreateClient();
        await Pages.AssertFieldErrorAsync(await client.PostAsJsonAsync("/api/volunteers/verification-codes", new { mobile = Mobile }), "mobile", "未配置短信服务");
        var registered = await OkAsync(await client.PostAsJsonAsync("/api/volunteers", People.Registration("李明", Id, Mobile)));
        Assert.False(registered.GetProperty("mobileVerified").GetBoolean());
        Assert.Equal(JsonValueKind.Null, registered.GetProperty("mobileVerifiedAtUtc").ValueKind);
        var number = registered.GetProperty("number").GetString()!;
        Assert.Null(await app.WithDbAsync(db => db.Volunteers.Select(v => v.MobileVerifiedAtUtc).SingleAsync()));

        await pages.SignInAsync(number, People.Password);
        var me = await pages.GetPageAsync("/me");
        Assert.Equal("未验证", me.QuerySelector("#my-mobile-state")!.TextContent);
        Assert.Contains("未配置短信服务", me.QuerySelector("#verify-hint")!.TextContent);
        Assert.Null(me.QuerySelector("#send-code"));
        // A code cannot verify anything here: said plainly, and nothing is saved.
        using var own = await app.ApiClientAsync(number, People.Password);
        await Pages.AssertFieldErrorAsync(await own.PutAsJsonAsync("/api/volunteers/me/contact", new { mobile = Mobile, skills = "手语", code = "123456" }), "code", "未配置短信服务");
        Assert.Equal("急救", await app.WithDbAsync(db => db.Volunteers.Select(v => v.Skills).SingleAsync()));
        using var adminPages = app.PageClient();
        await adminPages.SignInAsync("admin", TestApp.AdminPassword);
        Assert.Equal("未验证", (await adminPages.GetPageAsync($"/volunteers/{number}")).QuerySelector("#mobile-state")!.TextContent);
    }

    [Fact]
    public async Task OnTheRegistrationPageTheCodeIsAskedForThenGivenAndTheNewVolunteerSeesTheMobileVerified()
    {
        await using var gateway = await TestSmsGateway.StartAsync();
        await using var app = new TestApp();
        gateway.ConfigureTencentCloud(app);
        using var pages = app.PageClient();
        var form = await pages.GetPageAsync("/volunteers/register");
        Assert.Null(form.QuerySelector("#mobile-not-verified"));
        Assert.Contains("10 分钟", form.QuerySelector("#code-hint")!.TextContent);
        (string, string)[] Fields(string code) =>
        [
            ("Input.Name", "李明"), ("Input.DocumentType", "ResidentId"), ("Input.DocumentNumber", Id), ("Input.Mobile", Mobile), ("Input.UnitCode", "441202"),
            ("Input.Password", People.Password), ("Input.Code", code),
        ];

        // 获取验证码: the typed form comes back with the message's status beside the code field.
        var asked = await pages.PostFormAsync("/volunteers/register", form, "register", [.. Fields(""), ("action", "code")]);
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        var page = new HtmlParser().ParseDocument(await asked.Content.ReadAsStringAsync());
        Assert.Contains("验证码已发送至 139****5678", page.QuerySelector("#code-sent")!.TextContent);
        Assert.Equal("李明", page.QuerySelector("#name")!.GetAttribute("value"));
        Assert.Equal(0, await app.WithDbAsync(db => db.Volunteers.CountAsync()));
        var code = gateway.LatestCodeTo(Mobile)!;
        Assert.Equal("449739", Assert.Single(gateway.Received).Json.GetProperty("TemplateId").GetString());

        var wrong = await pages.PostFormAsync("/volunteers/register", page, "register", [.. Fields(code == "000000" ? "111111" : "000000"), ("action", "register")]);
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        var refused = new HtmlParser().ParseDocument(await wrong.Content.ReadAsStringAsync());
        Assert.NotNull(refused.QuerySelector("#register-error"));
        Assert.Contains("验证码不正确", refused.QuerySelector(".field-error[data-field=code]")!.TextContent);
        Assert.Equal(0, await app.WithDbAsync(db => db.Volunteers.CountAsync()));

        // Enter in a field sends no action at all: it registers too (the hidden first button's action).
        var done = await pages.PostFormAsync("/volunteers/register", refused, "register", Fields(code));
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.EndsWith("/me?registered=1", done.Headers.Location!.OriginalString);
        var me = await pages.GetPageAsync("/me");
        Assert.Equal("139****5678", me.QuerySelector("#my-mobile")!.TextContent);
        Assert.Equal("已验证", me.QuerySelector("#my-mobile-state")!.TextContent);
    }

    [Fact]
    public async Task AMobileChangedOnMyPageIsUnverifiedUntilTheCodeSentToItIsGiven()
    {
        await using var gateway = await TestSmsGateway.StartAsync();
        await using var app = new TestApp();
        gateway.ConfigureWebhook(app);
        var number = (await app.RegisterAsync("李明", Id, Mobile, sms: gateway)).GetProperty("number").GetString()!;
        await app.RegisterAsync("王芳", People.ResidentId(1991, 125), "13900009999", sms: gateway);
        using var own = await app.ApiClientAsync(number, People.Password);

        // Changed without a code: the new number is the volunteer's word only.
        var changed = await OkAsync(await own.PutAsJsonAsync("/api/volunteers/me/contact", new { mobile = "13712345678", skills = "急救" }));
        Assert.Equal("137****5678", changed.GetProperty("mobile").GetString());
        Assert.False(changed.GetProperty("mobileVerified").GetBoolean());

        // Signed in, a code may go to one's own number, never to another volunteer's.
        await Pages.AssertFieldErrorAsync(await own.PostAsJsonAsync("/api/volunteers/verification-codes", new { mobile = "13900009999" }), "mobile", "已被其他志愿者使用");
        await OkAsync(await own.PostAsJsonAsync("/api/volunteers/verification-codes", new { mobile = "13712345678" }));
        var code = gateway.LatestCodeTo("13712345678")!;
        // A wrong code changes nothing, not even the skills sent with it.
        await Pages.AssertFieldErrorAsync(await own.PutAsJsonAsync("/api/volunteers/me/contact",
            new { mobile = "13712345678", skills = "手语", code = code == "000000" ? "111111" : "000000" }), "code", "验证码不正确");
        await Pages.AssertFieldErrorAsync(await own.PutAsJsonAsync("/api/volunteers/me/contact", new { skills = "手语", code }), "mobile", "收到验证码的手机号码");
        Assert.Equal("急救", await app.WithDbAsync(db => db.Volunteers.Where(v => v.Number == number).Select(v => v.Skills).SingleAsync()));
        var verified = await OkAsync(await own.PutAsJsonAsync("/api/volunteers/me/contact", new { mobile = "13712345678", skills = "手语", code }));
        Assert.True(verified.GetProperty("mobileVerified").GetBoolean());
        // Used once.
        await Pages.AssertFieldErrorAsync(await own.PutAsJsonAsync("/api/volunteers/me/contact", new { mobile = "13712345678", skills = "手语", code }), "code", "没有可用的验证码");

        // On the page: a new number with its code, asked for and given in the same form.
        using var pages = app.PageClient();
        await pages.SignInAsync(number, People.Password);
        var me = await pages.GetPageAsync("/me");
        var asked = await pages.PostFormAsync("/me", me, "contact", ("Input.Mobile", "13612345678"), ("Input.Skills", "手语"), ("action", "code"));
        var page = new HtmlParser().ParseDocument(await asked.Content.ReadAsStringAsync());
        Assert.Contains("验证码已发送至 136****5678", page.QuerySelector("#code-sent")!.TextContent);
        Assert.Equal("137****5678", page.QuerySelector("#my-mobile")!.TextContent);
        var saved = await pages.PostFormAsync("/me", page, "contact", ("Input.Mobile", "13612345678"), ("Input.Skills", "手语"),
            ("Input.Code", gateway.LatestCodeTo("13612345678")!), ("action", "save"));
        var after = new HtmlParser().ParseDocument(await saved.Content.ReadAsStringAsync());
        Assert.Equal("136****5678", after.QuerySelector("#my-mobile")!.TextContent);
        Assert.Equal("已验证", after.QuerySelector("#my-mobile-state")!.TextContent);
        // Changed again on the page without a code: unverified, and the page says how to verify it.
        var unverified = await pages.PostFormAsync("/me", after, "contact", ("Input.Mobile", "13512345678"), ("Input.Skills", "手语"));
        var last = new HtmlParser().ParseDocument(await unverified.Content.ReadAsStringAsync());
        Assert.Equal("未验证", last.QuerySelector("#my-mobile-state")!.TextContent);
        Assert.Contains("获取验证码", last.QuerySelector("#verify-hint")!.TextContent);
        using var byNewMobile = await app.ApiClientAsync("13512345678", People.Password);
    }
}
