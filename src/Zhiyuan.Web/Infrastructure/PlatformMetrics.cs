using System.Diagnostics.Metrics;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// The platform's own counters, in one System.Diagnostics.Metrics meter named "Zhiyuan", exported for
/// Prometheus with ASP.NET Core's and the runtime's at /metrics (<see cref="Observability"/>).
/// Each counts what was done, after the database accepted it: a refused or repeated request counts
/// nothing. Prometheus names: zhiyuan_volunteer_registrations_total, zhiyuan_signups_total … (a
/// counter's name with dots as underscores and _total appended).
/// </summary>
public static class PlatformMetrics
{
    public const string MeterName = "Zhiyuan";

    static readonly Meter Meter = new(MeterName, AppVersion.Version);

    public static readonly Counter<long> Registrations = Meter.CreateCounter<long>("zhiyuan.volunteer.registrations", "{volunteer}", "Volunteers registered");

    public static readonly Counter<long> SignUps = Meter.CreateCounter<long>("zhiyuan.signups", "{signup}", "Sign-ups to activity sessions accepted or waitlisted");

    public static readonly Counter<long> Confirmations = Meter.CreateCounter<long>("zhiyuan.hours.confirmations", "{signup}", "Attendances whose hours were confirmed and credited");

    public static readonly Counter<long> ReportSubmissions = Meter.CreateCounter<long>("zhiyuan.report.submissions", "{report}", "Campaign reports submitted");

    public static readonly Counter<long> MailsSent = Meter.CreateCounter<long>("zhiyuan.mails.sent", "{mail}", "Mails handed to the SMTP server");

    public static readonly Counter<long> MailsFailed = Meter.CreateCounter<long>("zhiyuan.mails.failed", "{mail}", "Mails the SMTP server did not take");

    public static readonly Counter<long> MessagesSent = Meter.CreateCounter<long>("zhiyuan.messages.sent", "{message}", "Message-centre messages delivered by mail or text (tag channel)");

    public static readonly Counter<long> MessagesFailed = Meter.CreateCounter<long>("zhiyuan.messages.failed", "{message}", "Message-centre deliveries that failed (tag channel)");

    public static readonly Counter<long> JobRuns = Meter.CreateCounter<long>("zhiyuan.jobs.runs", "{run}", "Background job runs (tags job, outcome)");

    /// <summary>One run of a background job, with its outcome ("ok" or "failed").</summary>
    public static void JobRan(string job, bool ok) =>
        JobRuns.Add(1, new KeyValuePair<string, object?>("job", job), new KeyValuePair<string, object?>("outcome", ok ? "ok" : "failed"));
}
