using System.Collections.Concurrent;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.ServicePosts;

/// <summary>Sends the one-time code to a citizen's phone. An SMS gateway plugs in here; see ADR 0009.</summary>
public interface ICitizenCodeSender
{
    Task SendAsync(string phone, string code, CancellationToken cancellationToken);
}

/// <summary>
/// The sender used while no SMS gateway is configured: it logs the code against the masked number
/// (the full number never goes to a log) and keeps the latest code per number in memory, where
/// tests and a developer's console read it.
/// </summary>
public sealed class LoggingCodeSender(ILogger<LoggingCodeSender> log) : ICitizenCodeSender
{
    readonly ConcurrentDictionary<string, string> latest = new();

    public Task SendAsync(string phone, string code, CancellationToken cancellationToken)
    {
        latest[phone] = code;
        log.LogInformation("Order verification code for {Phone}: {Code}", PersonalData.MaskPhone(phone), code);
        return Task.CompletedTask;
    }

    public string? LatestFor(string phone) => latest.TryGetValue(phone, out var code) ? code : null;
}

/// <summary>Stage names and deadlines of citizen orders; all are settings (section "Orders").</summary>
public sealed class OrderOptions
{
    /// <summary>Names shown for each <see cref="OrderStatus"/>, e.g. "Orders:StageNames:Ordered" = "点单"; unset ones use the built-in names.</summary>
    public Dictionary<string, string> StageNames { get; set; } = [];

    public int DispatchWithinHours { get; set; } = 24;

    public int AcceptWithinHours { get; set; } = 24;

    /// <summary>How long after the service time an order may stay uncompleted before it is overdue.</summary>
    public int CompleteWithinHoursAfterService { get; set; } = 48;

    public int MaxOrdersPerPhonePerDay { get; set; } = 3;

    public int MaxCodesPerPhonePerHour { get; set; } = 5;

    public int CodeValidMinutes { get; set; } = 10;
}
