using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>Which text-message gateway codes go out through (section "Sms").</summary>
public enum SmsProvider
{
    /// <summary>Not set: the development log under Development, nothing anywhere else.</summary>
    Default,

    /// <summary>No text messages, even under Development (tests of the unconfigured platform use it).</summary>
    None,

    TencentCloud,

    Webhook,
}

/// <summary>What a code is for: Tencent Cloud needs an approved template per kind of message.</summary>
public enum SmsPurpose
{
    OrderCode,
    PasswordRecovery,

    /// <summary>A volunteer's mobile, at registration or when it changes: the order template serves.</summary>
    MobileVerification,
}

/// <summary>How codes reach people on this node, so pages never claim a message was sent when none was.</summary>
public enum SmsDelivery
{
    /// <summary>No gateway: nothing is sent and the pages say so.</summary>
    None,

    /// <summary>Development only: the code is written to the log (against the masked number) and kept in memory.</summary>
    DevelopmentLog,

    TextMessage,
}

public sealed class SmsOptions
{
    public SmsProvider Provider { get; set; }

    public string? SecretId { get; set; }

    public string? SecretKey { get; set; }

    public string? SdkAppId { get; set; }

    public string? SignName { get; set; }

    /// <summary>The approved template of order codes and of the codes verifying a volunteer's mobile, e.g. "您的验证码为{1}，{2}分钟内有效。".</summary>
    public string? TemplateId { get; set; }

    /// <summary>The template of password-recovery codes; the order template when unset.</summary>
    public string? RecoveryTemplateId { get; set; }

    /// <summary>
    /// Tencent Cloud: the approved template of notices from the message centre (a place freed up for a
    /// volunteer on the waitlist …), with one parameter, the message's short title, e.g.
    /// "{1}，详情请登录志愿肇庆查看“我的消息”。". Without it no notice goes out by Tencent Cloud.
    /// </summary>
    public string? NoticeTemplateId { get; set; }

    /// <summary>Whether the template has a second parameter for the minutes the code is valid.</summary>
    public bool TemplateHasMinutes { get; set; } = true;

    public string Region { get; set; } = "ap-guangzhou";

    /// <summary>Where SendSms is posted; tests point it at a local server.</summary>
    public string Endpoint { get; set; } = "https://sms.tencentcloudapi.com";

    public string? WebhookUrl { get; set; }

    /// <summary>When set, every webhook request carries X-Zhiyuan-Signature: sha256=HMAC-SHA256(secret, timestamp + "." + body).</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Codes (orders, recovery and volunteers' mobiles) one client address may ask for in an hour.</summary>
    public int CodesPerAddressPerHour { get; set; } = 10;

    /// <summary>Codes the whole platform sends in an hour: a brake on a flood paid for by the city.</summary>
    public int CodesPerHour { get; set; } = 1000;
}

/// <summary>Sends one-time codes as text messages. Implementations never write a code to a log (except the development one).</summary>
public interface ISmsSender
{
    SmsDelivery Delivery { get; }

    /// <summary>Sends the code; throws <see cref="SmsException"/> when the gateway refuses or cannot be reached.</summary>
    Task SendCodeAsync(string phone, string code, int validMinutes, SmsPurpose purpose, CancellationToken cancellationToken);

    /// <summary>Whether a notice from the message centre really goes out as a text message from this node (never the development log).</summary>
    bool SendsNotices { get; }

    /// <summary>
    /// Sends a notice of the message centre: <paramref name="text"/> is the message's short title (a
    /// template parameter for Tencent Cloud, the text itself for a webhook). Throws <see cref="SmsException"/>
    /// when the gateway refuses or cannot be reached, or when <see cref="SendsNotices"/> is false.
    /// </summary>
    Task SendNoticeAsync(string phone, string kind, string text, CancellationToken cancellationToken);
}

public sealed class SmsException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Without a gateway nothing can be sent; callers check <see cref="Delivery"/> first and tell people so.</summary>
public sealed class NoSmsSender : ISmsSender
{
    public SmsDelivery Delivery => SmsDelivery.None;

    public Task SendCodeAsync(string phone, string code, int validMinutes, SmsPurpose purpose, CancellationToken cancellationToken) =>
        throw new SmsException("Text messages are not configured (Sms:Provider).");

    public bool SendsNotices => false;

    public Task SendNoticeAsync(string phone, string kind, string text, CancellationToken cancellationToken) =>
        throw new SmsException("Text messages are not configured (Sms:Provider).");
}

/// <summary>
/// Development only (registered nowhere else): logs the code against the masked number and keeps the
/// latest code per number in memory, where tests and a developer's console read it.
/// </summary>
public sealed class DevelopmentLogSmsSender(ILogger<DevelopmentLogSmsSender> log) : ISmsSender
{
    readonly ConcurrentDictionary<string, string> latest = new();

    public SmsDelivery Delivery => SmsDelivery.DevelopmentLog;

    public Task SendCodeAsync(string phone, string code, int validMinutes, SmsPurpose purpose, CancellationToken cancellationToken)
    {
        latest[phone] = code;
        log.LogInformation("Development: {Purpose} code for {Phone}: {Code}", purpose, PersonalData.MaskPhone(phone), code);
        return Task.CompletedTask;
    }

    public string? LatestFor(string phone) => latest.TryGetValue(phone, out var code) ? code : null;

    /// <summary>Notices are not written to the log: without a gateway no notice is sent, and nothing says one was.</summary>
    public bool SendsNotices => false;

    public Task SendNoticeAsync(string phone, string kind, string text, CancellationToken cancellationToken) =>
        throw new SmsException("Text messages are not configured (Sms:Provider).");
}

/// <summary>
/// Tencent Cloud SMS, API 3.0 SendSms (version 2021-01-11), signed with TC3-HMAC-SHA256 as the
/// public "Signature v3" documentation describes; written by hand because no SDK package is available here.
/// </summary>
public sealed class TencentCloudSmsSender(HttpClient http, IOptions<SmsOptions> options, TimeProvider time, ILogger<TencentCloudSmsSender> log) : ISmsSender
{
    public const string Service = "sms";
    public const string Version = "2021-01-11";
    public const string Action = "SendSms";
    public const string ContentType = "application/json; charset=utf-8";

    /// <summary>The longest notice parameter sent: approved templates limit each variable's length.</summary>
    public const int NoticeParameterMaxLength = 20;

    public SmsDelivery Delivery => SmsDelivery.TextMessage;

    public bool SendsNotices => !string.IsNullOrWhiteSpace(options.Value.NoticeTemplateId);

    public Task SendCodeAsync(string phone, string code, int validMinutes, SmsPurpose purpose, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var template = purpose == SmsPurpose.PasswordRecovery && !string.IsNullOrWhiteSpace(settings.RecoveryTemplateId) ? settings.RecoveryTemplateId : settings.TemplateId;
        var parameters = new JsonArray(code);
        if (settings.TemplateHasMinutes)
        {
            parameters.Add(validMinutes.ToString(CultureInfo.InvariantCulture));
        }
        return SendAsync(phone, template!, parameters, cancellationToken);
    }

    public Task SendNoticeAsync(string phone, string kind, string text, CancellationToken cancellationToken)
    {
        if (!SendsNotices)
        {
            throw new SmsException("Sms:NoticeTemplateId is not set: Tencent Cloud sends no notices.");
        }
        var parameter = text.Length <= NoticeParameterMaxLength ? text : text[..(NoticeParameterMaxLength - 1)] + "…";
        return SendAsync(phone, options.Value.NoticeTemplateId!, new JsonArray(parameter), cancellationToken);
    }

    async Task SendAsync(string phone, string template, JsonArray parameters, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var payload = new JsonObject
        {
            ["PhoneNumberSet"] = new JsonArray("+86" + phone),
            ["SmsSdkAppId"] = settings.SdkAppId,
            ["SignName"] = settings.SignName,
            ["TemplateId"] = template,
            ["TemplateParamSet"] = parameters,
        }.ToJsonString();
        var endpoint = new Uri(settings.Endpoint);
        // The host signed is the API's own; a test endpoint on 127.0.0.1 checks the same string.
        var host = endpoint.IsLoopback ? "sms.tencentcloudapi.com" : endpoint.Host;
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        var authorization = Tc3Signer.Authorization(settings.SecretId!, settings.SecretKey!, Service, host, ContentType, payload, timestamp);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(payload, Encoding.UTF8) };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(ContentType);
        request.Headers.Host = host;
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        request.Headers.Add("X-TC-Action", Action);
        request.Headers.Add("X-TC-Version", Version);
        request.Headers.Add("X-TC-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-TC-Region", settings.Region);
        JsonElement answer;
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            answer = (await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken)).RootElement.GetProperty("Response");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
        {
            throw new SmsException("Tencent Cloud SMS could not be reached: " + e.Message, e);
        }
        // Errors name the gateway's code and message only: never the number or the code.
        if (answer.TryGetProperty("Error", out var error))
        {
            log.LogWarning("Tencent Cloud SMS refused SendSms: {Code} {Message}", error.GetProperty("Code").GetString(), error.GetProperty("Message").GetString());
            throw new SmsException("Tencent Cloud SMS refused the request: " + error.GetProperty("Code").GetString());
        }
        var status = answer.TryGetProperty("SendStatusSet", out var set) && set.GetArrayLength() > 0 ? set[0].GetProperty("Code").GetString() : null;
        if (!string.Equals(status, "Ok", StringComparison.OrdinalIgnoreCase))
        {
            log.LogWarning("Tencent Cloud SMS did not send: {Status}", status);
            throw new SmsException("Tencent Cloud SMS did not send the message: " + status);
        }
    }
}

/// <summary>TC3-HMAC-SHA256 of Tencent Cloud API 3.0, for a POST of JSON with the headers content-type and host signed.</summary>
public static class Tc3Signer
{
    public const string Algorithm = "TC3-HMAC-SHA256";

    public static string CanonicalRequest(string host, string contentType, string payload) =>
        $"POST\n/\n\ncontent-type:{contentType.Trim().ToLowerInvariant()}\nhost:{host.Trim().ToLowerInvariant()}\n\ncontent-type;host\n{Sha256Hex(payload)}";

    /// <summary>The date of the credential scope is the UTC date of the timestamp (not China's): the documentation's own warning.</summary>
    public static string CredentialScope(string service, long timestamp) =>
        DateTimeOffset.FromUnixTimeSeconds(timestamp).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "/" + service + "/tc3_request";

    public static string Signature(string secretKey, string service, string host, string contentType, string payload, long timestamp)
    {
        var scope = CredentialScope(service, timestamp);
        var stringToSign = $"{Algorithm}\n{timestamp}\n{scope}\n{Sha256Hex(CanonicalRequest(host, contentType, payload))}";
        var date = scope[..10];
        var secretDate = HMACSHA256.HashData(Encoding.UTF8.GetBytes("TC3" + secretKey), Encoding.UTF8.GetBytes(date));
        var secretService = HMACSHA256.HashData(secretDate, Encoding.UTF8.GetBytes(service));
        var secretSigning = HMACSHA256.HashData(secretService, Encoding.UTF8.GetBytes("tc3_request"));
        return Convert.ToHexStringLower(HMACSHA256.HashData(secretSigning, Encoding.UTF8.GetBytes(stringToSign)));
    }

    public static string Authorization(string secretId, string secretKey, string service, string host, string contentType, string payload, long timestamp) =>
        $"{Algorithm} Credential={secretId}/{CredentialScope(service, timestamp)}, SignedHeaders=content-type;host, Signature={Signature(secretKey, service, host, contentType, payload, timestamp)}";

    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

/// <summary>
/// A city's own gateway: a JSON POST <c>{ phone, code, validMinutes, purpose, timestamp }</c> to
/// Sms:WebhookUrl (purpose "order", "recovery" or "mobile"); any 2xx answer counts as sent. With Sms:WebhookSecret the request carries
/// X-Zhiyuan-Timestamp and X-Zhiyuan-Signature (sha256=hex HMAC-SHA256 of "timestamp.body"), so the
/// gateway can refuse anything the platform did not send, and replays older than it accepts.
/// </summary>
public sealed class WebhookSmsSender(HttpClient http, IOptions<SmsOptions> options, TimeProvider time, ILogger<WebhookSmsSender> log) : ISmsSender
{
    public const string SignatureHeader = "X-Zhiyuan-Signature";
    public const string TimestampHeader = "X-Zhiyuan-Timestamp";

    public SmsDelivery Delivery => SmsDelivery.TextMessage;

    public bool SendsNotices => true;

    public Task SendCodeAsync(string phone, string code, int validMinutes, SmsPurpose purpose, CancellationToken cancellationToken)
    {
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        return PostAsync(timestamp, JsonSerializer.Serialize(new { phone, code, validMinutes, purpose = WebhookPurpose(purpose), timestamp }), cancellationToken);
    }

    /// <summary>A notice: <c>{ phone, purpose: "notice", kind, text, timestamp }</c>; the gateway sends the text as it is.</summary>
    public Task SendNoticeAsync(string phone, string kind, string text, CancellationToken cancellationToken)
    {
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        return PostAsync(timestamp, JsonSerializer.Serialize(new { phone, purpose = "notice", kind, text, timestamp }), cancellationToken);
    }

    async Task PostAsync(long unixSeconds, string body, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var timestamp = unixSeconds.ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, settings.WebhookUrl) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(TimestampHeader, timestamp);
        if (!string.IsNullOrEmpty(settings.WebhookSecret))
        {
            request.Headers.Add(SignatureHeader, "sha256=" + Sign(settings.WebhookSecret, timestamp, body));
        }
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                log.LogWarning("The SMS webhook answered {Status}", (int)response.StatusCode);
                throw new SmsException($"The SMS webhook answered {(int)response.StatusCode}.");
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw new SmsException("The SMS webhook could not be reached: " + e.Message, e);
        }
    }

    /// <summary>The purpose as the webhook names it: "order", "recovery" or "mobile".</summary>
    public static string WebhookPurpose(SmsPurpose purpose) => purpose switch
    {
        SmsPurpose.OrderCode => "order",
        SmsPurpose.PasswordRecovery => "recovery",
        _ => "mobile",
    };

    public static string Sign(string secret, string timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "." + body)));
}

public static class SmsSetup
{
    public static IServiceCollection AddSms(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddOptions<SmsOptions>().Bind(configuration.GetSection("Sms"))
            .Validate(o => o.CodesPerAddressPerHour > 0 && o.CodesPerHour > 0, "Sms: the limits must be positive.")
            .Validate(o => o.Provider != SmsProvider.TencentCloud || new[] { o.SecretId, o.SecretKey, o.SdkAppId, o.SignName, o.TemplateId }.All(v => !string.IsNullOrWhiteSpace(v)),
                "Sms:Provider=TencentCloud needs Sms:SecretId, Sms:SecretKey, Sms:SdkAppId, Sms:SignName and Sms:TemplateId.")
            .Validate(o => o.Provider != SmsProvider.Webhook || Uri.TryCreate(o.WebhookUrl, UriKind.Absolute, out _), "Sms:Provider=Webhook needs Sms:WebhookUrl (an absolute http(s) address).")
            .ValidateOnStart();
        services.AddHttpClient("sms", c => c.Timeout = TimeSpan.FromSeconds(15));
        services.AddSingleton<DevelopmentLogSmsSender>();
        services.AddScoped<PhoneCodes>();
        services.AddSingleton<ISmsSender>(s =>
        {
            var provider = s.GetRequiredService<IOptions<SmsOptions>>().Value.Provider;
            HttpClient Http() => s.GetRequiredService<IHttpClientFactory>().CreateClient("sms");
            return provider switch
            {
                SmsProvider.TencentCloud => new TencentCloudSmsSender(Http(), s.GetRequiredService<IOptions<SmsOptions>>(), s.GetRequiredService<TimeProvider>(),
                    s.GetRequiredService<ILogger<TencentCloudSmsSender>>()),
                SmsProvider.Webhook => new WebhookSmsSender(Http(), s.GetRequiredService<IOptions<SmsOptions>>(), s.GetRequiredService<TimeProvider>(), s.GetRequiredService<ILogger<WebhookSmsSender>>()),
                // Codes in a log are only for a developer's own machine: every other environment without a gateway sends nothing and says so.
                SmsProvider.Default when environment.IsDevelopment() => s.GetRequiredService<DevelopmentLogSmsSender>(),
                _ => new NoSmsSender(),
            };
        });
        return services;
    }
}

/// <summary>The per-address and platform-wide limits every code (order, recovery or a volunteer's mobile) pays for.</summary>
public static class SmsLimits
{
    /// <summary>
    /// Takes one place for the client address (by keyed hash: a plain address is never stored) and one
    /// of the platform's hour; call inside the transaction of the code, so a refusal gives both back.
    /// </summary>
    public static async Task<bool> TryTakeAsync(Data.AppDbContext db, PersonalData personalData, SmsOptions options, System.Net.IPAddress? address, DateTime nowUtc,
        CancellationToken cancellationToken)
    {
        // An address mapped from IPv4 into IPv6 is the same client as the plain IPv4 address.
        var client = address is null ? "unknown" : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
        var key = "codes-address:" + Convert.ToHexString(personalData.Hash("code-address", client));
        return await CountedLimits.TryTakeAsync(db, key, TimeSpan.FromHours(1), options.CodesPerAddressPerHour, nowUtc, cancellationToken)
            && await CountedLimits.TryTakeAsync(db, "codes-all", TimeSpan.FromHours(1), options.CodesPerHour, nowUtc, cancellationToken);
    }
}
