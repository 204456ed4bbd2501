using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// What an operator watches. Metrics (ASP.NET Core, the runtime and <see cref="PlatformMetrics"/>) in the
/// Prometheus text format at /metrics, only on the port Metrics:Port (a listener of its own, on
/// Metrics:ListenAddress, loopback by default) or to the client addresses Metrics:AllowedAddresses;
/// with neither, nobody gets them. /health/live (the process answers), /health/ready (the database
/// answers and has every migration: take the node into the balancer) and /health (the same with the
/// running version, as JSON). Logging:Json=true writes console logs as one JSON object a line.
/// </summary>
public static class Observability
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        if (builder.Configuration.GetValue<bool>("Logging:Json"))
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                // Chinese as characters, not \uXXXX escapes: the log is read by people too.
                o.JsonWriterOptions = new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("zhiyuan", serviceVersion: AppVersion.Version))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(PlatformMetrics.MeterName)
                .AddPrometheusExporter());

        // A listener of its own for the metrics, beside the ones --urls / ASPNETCORE_URLS name.
        if (MetricsPort(builder.Configuration) is { } port)
        {
            var urls = (builder.Configuration[WebHostDefaults.ServerUrlsKey] ?? "")
                .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            if (urls.Count == 0)
            {
                urls.Add("http://localhost:5000");
            }
            var address = builder.Configuration["Metrics:ListenAddress"] is { Length: > 0 } a ? a : "127.0.0.1";
            urls.Add($"http://{(address.Contains(':') ? $"[{address}]" : address)}:{port}");
            builder.WebHost.UseUrls([.. urls]);
        }
        return builder;
    }

    static int? MetricsPort(IConfiguration configuration) => configuration.GetValue<int?>("Metrics:Port") is > 0 and var port ? port : null;

    static List<IPNetwork> AllowedAddresses(IConfiguration configuration)
    {
        var section = configuration.GetSection("Metrics:AllowedAddresses");
        IEnumerable<string> values = section.Value is { } single ? [single] : section.GetChildren().Select(c => c.Value ?? "");
        return values.SelectMany(v => v.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(v => v.Contains('/') ? IPNetwork.Parse(v) : new IPNetwork(IPAddress.Parse(v), IPAddress.Parse(v).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128))
            .ToList();
    }

    /// <summary>A setting that is not a port, an address or a network stops start-up with one sentence (Program.cs).</summary>
    public static string? Error(IConfiguration configuration)
    {
        var portText = configuration["Metrics:Port"];
        if (!string.IsNullOrWhiteSpace(portText) && (!int.TryParse(portText, out var port) || port is < 1 or > 65535))
        {
            return $"Metrics:Port \"{portText}\" is not a port number (1–65535). (不是有效端口)";
        }
        if (configuration["Metrics:ListenAddress"] is { Length: > 0 } listen && !IPAddress.TryParse(listen, out _))
        {
            return $"Metrics:ListenAddress \"{listen}\" is not an IP address. (不是 IP 地址)";
        }
        try
        {
            _ = AllowedAddresses(configuration);
        }
        catch (FormatException)
        {
            return $"Metrics:AllowedAddresses \"{configuration["Metrics:AllowedAddresses"] ?? string.Join(",", configuration.GetSection("Metrics:AllowedAddresses").GetChildren().Select(c => c.Value))}\" holds something that is not an IP address or a network such as 10.0.0.0/8. (不是 IP 地址或网段)";
        }
        return null;
    }

    /// <summary>
    /// Early in the pipeline, after the forwarded headers (so that Metrics:AllowedAddresses is compared with
    /// the real client): the metrics listener serves only /metrics and /health; a node whose database lacks
    /// migrations answers 503 to everything but /health; /metrics for anyone else is not found.
    /// </summary>
    public static WebApplication UseObservability(this WebApplication app)
    {
        var port = MetricsPort(app.Configuration);
        var allowed = AllowedAddresses(app.Configuration);
        var state = app.Services.GetRequiredService<MigrationState>();
        bool OnMetricsPort(HttpContext http) => port is { } p && http.Connection.LocalPort == p;
        bool MayScrape(HttpContext http) => OnMetricsPort(http)
            || (http.Connection.RemoteIpAddress is { } remote && allowed.Any(n => n.Contains(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)));

        app.Use(async (http, next) =>
        {
            var path = http.Request.Path;
            var health = path.StartsWithSegments("/health");
            if (OnMetricsPort(http) && !health && !path.Equals(MetricsPath))
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            if (!state.Current && !health && !(path.Equals(MetricsPath) && MayScrape(http)))
            {
                http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                http.Response.Headers.RetryAfter = "10";
                http.Response.ContentType = "text/plain; charset=utf-8";
                await http.Response.WriteAsync(state.Pending.Count > 0
                    ? "This node waits for the database to be migrated (Zhiyuan.Web migrate). 系统维护中，请稍后再试。"
                    : "Starting. 系统启动中，请稍后再试。");
                return;
            }
            await next(http);
        });
        app.UseOpenTelemetryPrometheusScrapingEndpoint(http => http.Request.Path.Equals(MetricsPath) && MayScrape(http));
        return app;
    }

    public static WebApplication MapHealth(this WebApplication app)
    {
        // Live: the process answers; no check, so a database outage does not get every node restarted.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).DisableHttpMetrics();
        // Ready: the database answers and has every migration of this build.
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteAsync }).DisableHttpMetrics();
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteAsync }).DisableHttpMetrics();
        return app;
    }

    static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            version = AppVersion.Version,
            commit = AppVersion.Commit,
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }
}
