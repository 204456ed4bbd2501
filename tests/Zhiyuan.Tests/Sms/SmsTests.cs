using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Infrastructure;
using static Zhiyuan.Tests.Activities.Scenario;
using static Zhiyuan.Tests.ServicePosts.OrderScenario;

namespace Zhiyuan.Tests.Sms;

/// <summary>A test app whose requests may name the client address in X-Test-Client (the test server has none of its own).</summary>
public sealed class AddressedTestApp : TestApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new ClientAddress()));
    }

    sealed class ClientAddress : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                if (IPAddress.TryParse(http.Request.Headers["X-Test-Client"], out var address))
                {
                    http.Connection.RemoteIpAddress = address;
                }
                return nextMiddleware(http);
            });
            next(app);
        };
    }
}

/// <summary>Text messages: Tencent Cloud SendSms signed with TC3-HMAC-SHA256, a city's own webhook, and the limits every code pays.</summary>
public sealed class SmsTests
{
    [Fact]
    public void TheSignerReproducesTheDocumentationsPublishedTc3Example()
    {
        // Tencent Cloud API 3.0 "Signature v3": CVM DescribeInstances at 1551113065 (2019-02-25 UTC), every intermediate value as published.
        const string payload = """{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}""";
        const string contentType = "application/json; charset=utf-8";
        Assert.Equal("35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064", Tc3Signer.Sha256Hex(payload));
        Assert.Equal("5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031",
            Tc3Signer.Sha256Hex(Tc3Signer.CanonicalRequest("cvm.tencentcloudapi.com", contentType, payload)));
        Assert.Equal("2019-02-25/cvm/tc3_request", Tc3Signer.CredentialScope("cvm", 1551113065));
        Assert.Equal("72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
            Tc3Signer.Signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", "cvm.tencentcloudapi.com", contentType, payload, 1551113065));
        Assert.Equal("TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, "
            + "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
            Tc3Signer.Authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", "cvm.tencentcloudapi.com", contentType, payload, 1551113065));
    }

    [Fact]
    public async Task AnOrderCodeGoesToTencentCloudAsASignedSendSmsRequestAndPlacesTheOrder()
    {
        await using var gateway = await TestSmsGateway.StartAsync();
        await using var app = new TestApp();
        gateway.ConfigureTencentCloud(app);
        using var city = await app.ApiClientAsync();
        var menu = await MenuAsync(city, await OrganizationAsync(city));
        using var citizen = app.CreateClient();
        var sent = await OkAsync(await citizen.PostAsJsonAsync("/api/orders/verification-codes", new { phone = "13702261111" }));
        Assert.Equal("TextMessage", sent.GetProperty("delivery").GetString());
        var request = Assert.Single(gateway.Received);
        Assert.Equal("SendSms", request.Headers["x-tc-action"]);
        Assert.Equal("2021-01-11", request.Headers["x-tc-version"]);
        Assert.Equal("ap-guangzhou", request.Headers["x-tc-region"]);
        var timestamp = long.Parse(request.Headers["x-tc-timestamp"]);
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - timestamp, -5, 60);
        // The gateway's own check: the signature recomputed from what arrived, with the shared secret.
        var expected = Tc3Signer.Authorization(TestSmsGateway.SecretId, TestSmsGateway.SecretKey, "sms", request.Headers["host"], request.Headers["content-type"], request.Body, timestamp);
        Assert.Equal(expected, request.Headers["authorization"]);
        Assert.Equal("sms.tencentcloudapi.com", request.Headers["host"]);
        var body = request.Json;
        Assert.Equal("+8613702261111", body.GetProperty("PhoneNumberSet")[0].GetString());
        Assert.Equal("1400006666", body.GetProperty("SmsSdkAppId").GetString());
        Assert.Equal("志愿肇庆", body.GetProperty("SignName").GetString());
        Assert.Equal("449739", body.GetProperty("TemplateId").GetString());
        var code = body.GetProperty("TemplateParamSet")[0].GetString()!;
        Assert.Matches("^[0-9]{6}$", code);
        Assert.Equal("10", body.GetProperty("TemplateParamSet")[1].GetString());
        // The code that reached the gateway is the one that places the order; the log never saw it.
        await OkAsync(await citizen.PostAsJsonAsync("/api/orders", Order(menu, "13702261111", code)));
        Assert.DoesNotContain(app.LogLines, line => line.Contains(code));
    }

    [Fact]
    public async Task AGatewayThatRefusesIsReportedPlainlyNotAsSent()
    {
        await using var gateway = await TestSmsGateway.StartAsync();
        gateway.Answer = (200, """{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"bad"},"RequestId":"r-2"}}""");
        await using var app = new TestApp();
        gateway.ConfigureTencentCloud(app);
        using var citizen = app.CreateClient();
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync("/api/orders/verification-codes", new { phone = "13702261111" }), "phone", "短信发送失败");
    }

    [Fact]
    public async Task TheWebhookCarriesTheCodeSignedWithTheCitysSecret()
    {
        await using var gateway = await TestSmsGateway.StartAsync();
        gateway.Answer = (204, "");
        await using var app = new TestApp();
        gateway.ConfigureWebhook(app);
        using var city = await app.ApiClientAsync();
        var menu = await MenuAsync(city, await OrganizationAsync(city));
        using var citizen = app.CreateClient();
        await OkAsync(await citizen.PostAsJsonAsync("/api/orders/verification-codes", new { phone = "13702261112" }));
        var request = Assert.Single(gateway.Received);
        var timestamp = request.Headers["x-zhiyuan-timestamp"];
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(TestSmsGateway.WebhookSecret), Encoding.UTF8.GetBytes(timestamp + "." + request.Body)));
        Assert.Equal("sha256=" + signature, request.Headers["x-zhiyuan-signature"]);
        var body = request.Json;
        Assert.Equal("13702261112", body.GetProperty("phone").GetString());
        Assert.Equal("order", body.GetProperty("purpose").GetString());
        Assert.Equal(10, body.GetProperty("validMinutes").GetInt32());
        await OkAsync(await citizen.PostAsJsonAsync("/api/orders", Order(menu, "13702261112", body.GetProperty("code").GetString())));
    }

    [Fact]
    public async Task WithoutAProviderNothingClaimsAMessageWasSentAndOnlyOnesOwnMobileCanBeOrderedFor()
    {
        await using var app = new TestApp();
        app.Settings["Sms:Provider"] = "None";
        using var city = await app.ApiClientAsync();
        var menu = await MenuAsync(city, await OrganizationAsync(city));
        using var citizen = app.CreateClient();
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync("/api/orders/verification-codes", new { phone = "13702261113" }), "phone", "未配置短信");
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync("/api/orders", Order(menu, "13702261113", "123456")), "code", "未配置短信");
        var page = await app.PageClient().GetPageAsync($"/services/{menu}");
        Assert.Contains("未配置短信", page.QuerySelector("#sms-not-configured")!.TextContent);
        Assert.Null(page.QuerySelector("#send-code"));
        Assert.Null(page.QuerySelector("#code-sent"));

        // A volunteer (mobile 139 0000 0100) orders for their own number without a code, and for no other.
        var (_, volunteer) = (await app.VolunteersAsync(1, 100))[0];
        await OkAsync(await volunteer.PostAsJsonAsync("/api/orders", Order(menu, "13900000100")));
        await Pages.AssertFieldErrorAsync(await volunteer.PostAsJsonAsync("/api/orders", Order(menu, "13702261113")), "code", "只能为本人注册的手机号");
        // An administrator has no registered mobile: every number needs a code, so none can be ordered for.
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/orders", Order(menu, "13702261113")), "code", "只能为本人注册的手机号");
        Assert.Equal(1, await app.WithDbAsync(db => db.CitizenOrders.CountAsync()));
    }

    [Fact]
    public async Task WithAProviderASignedInAccountNeedsACodeForAnyNumberButItsOwn()
    {
        await using var app = new TestApp();
        using var city = await app.ApiClientAsync();
        var menu = await MenuAsync(city, await OrganizationAsync(city));
        var (_, volunteer) = (await app.VolunteersAsync(1, 100))[0];
        await OkAsync(await volunteer.PostAsJsonAsync("/api/orders", Order(menu, "13900000100")));
        await Pages.AssertFieldErrorAsync(await volunteer.PostAsJsonAsync("/api/orders", Order(menu, "13702261114")), "code", "验证码");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/orders", Order(menu, "13702261114")), "code", "验证码");
        await OkAsync(await volunteer.PostAsJsonAsync("/api/orders/verification-codes", new { phone = "13702261114" }));
        await OkAsync(await volunteer.PostAsJsonAsync("/api/orders", Order(menu, "13702261114", app.CodeFor("13702261114"))));
    }

    [Fact]
    public async Task CodesAreLimitedPerClientAddressAndForTheWholePlatform()
    {
        await using var app = new AddressedTestApp();
        app.Settings["Sms:CodesPerAddressPerHour"] = "3";
        app.Settings["Sms:CodesPerHour"] = "5";
        using var citizen = app.CreateClient();
        Task<HttpResponseMessage> Ask(string phone, string address)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders/verification-codes") { Content = JsonContent.Create(new { phone }) };
            request.Headers.Add("X-Test-Client", address);
            return citizen.SendAsync(request);
        }
        // Three different numbers from one address, then the fourth is refused; another address still gets codes.
        for (var i = 0; i < 3; i++)
        {
            await OkAsync(await Ask("1370226120" + i, "203.0.113.7"));
        }
        await Pages.AssertFieldErrorAsync(await Ask("13702261203", "203.0.113.7"), "phone", "本网络地址");
        await OkAsync(await Ask("13702261204", "198.51.100.9"));
        await OkAsync(await Ask("13702261205", "198.51.100.10"));
        // Five codes this hour on the whole platform: the sixth, from a fresh address, is refused too.
        await Pages.AssertFieldErrorAsync(await Ask("13702261206", "198.51.100.11"), "phone", "本网络地址");
        Assert.Equal(5, await app.WithDbAsync(db => db.PhoneVerifications.CountAsync()));
        // The limits are per hour: the next hour the refused number and address get their code.
        app.Clock.Advance(TimeSpan.FromHours(1));
        await OkAsync(await Ask("13702261203", "203.0.113.7"));
    }
}
