using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Zhiyuan.Tests.Sms;

/// <summary>One request the gateway received: its headers (lower-case names) and body.</summary>
public sealed record ReceivedSms(Dictionary<string, string> Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>
/// A text-message gateway on 127.0.0.1 inside the test process (Kestrel on a free port): it keeps every
/// request and answers as Tencent Cloud's SendSms does, or with whatever the test sets.
/// </summary>
public sealed class TestSmsGateway : IAsyncDisposable
{
    readonly WebApplication server;

    public ConcurrentQueue<ReceivedSms> Received { get; } = new();

    /// <summary>The status and body of the next answers; by default Tencent Cloud's "sent".</summary>
    public (int Status, string Body) Answer { get; set; } = (200, """{"Response":{"SendStatusSet":[{"SerialNo":"1","PhoneNumber":"+86","Fee":1,"Code":"Ok","Message":"send success"}],"RequestId":"r-1"}}""");

    TestSmsGateway(WebApplication server)
    {
        this.server = server;
        server.MapPost("/{**path}", async (HttpContext http) =>
        {
            var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
            Received.Enqueue(new ReceivedSms(http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body));
            http.Response.StatusCode = Answer.Status;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(Answer.Body);
        });
    }

    public static async Task<TestSmsGateway> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var gateway = new TestSmsGateway(builder.Build());
        await gateway.server.StartAsync();
        return gateway;
    }

    /// <summary>The code in the latest message to the number, as Tencent Cloud (+86…, first template parameter) or the webhook (phone, code) received it.</summary>
    public string? LatestCodeTo(string phone)
    {
        foreach (var message in Received.ToArray().Reverse())
        {
            var json = message.Json;
            if (json.TryGetProperty("PhoneNumberSet", out var numbers) && numbers[0].GetString() == "+86" + phone)
            {
                return json.GetProperty("TemplateParamSet")[0].GetString();
            }
            if (json.TryGetProperty("phone", out var number) && number.GetString() == phone)
            {
                return json.GetProperty("code").GetString();
            }
        }
        return null;
    }

    public string Url => server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/";

    /// <summary>Points the app at this gateway as Tencent Cloud.</summary>
    public void ConfigureTencentCloud(TestApp app)
    {
        app.Settings["Sms:Provider"] = "TencentCloud";
        app.Settings["Sms:Endpoint"] = Url;
        app.Settings["Sms:SecretId"] = SecretId;
        app.Settings["Sms:SecretKey"] = SecretKey;
        app.Settings["Sms:SdkAppId"] = "1400006666";
        app.Settings["Sms:SignName"] = "志愿肇庆";
        app.Settings["Sms:TemplateId"] = "449739";
        app.Settings["Sms:RecoveryTemplateId"] = "449740";
    }

    public void ConfigureWebhook(TestApp app, string? secret = WebhookSecret)
    {
        app.Settings["Sms:Provider"] = "Webhook";
        app.Settings["Sms:WebhookUrl"] = Url + "send";
        if (secret is not null)
        {
            app.Settings["Sms:WebhookSecret"] = secret;
        }
    }

    public const string SecretId = "AKIDtest0000000000000000000000000000";
    public const string SecretKey = "test-secret-key-000000000000000";
    public const string WebhookSecret = "city-gateway-secret";

    public async ValueTask DisposeAsync() => await server.DisposeAsync();
}
