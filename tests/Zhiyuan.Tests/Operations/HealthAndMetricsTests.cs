using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Zhiyuan.Web.Infrastructure;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Operations;

/// <summary>
/// What an operator's balancer and Prometheus see: liveness, readiness (the database answers and has
/// every migration), the running version, and the platform's counters at /metrics for allowed
/// addresses only.
/// </summary>
public sealed partial class HealthAndMetricsTests
{
    [Fact]
    public async Task ARunningNodeIsLiveAndReadyAndNamesItsVersionOnHealthAndInTheFooter()
    {
        await using var app = new TestApp();
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var health = JsonDocument.Parse(await (await client.GetAsync("/health")).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Healthy", health.GetProperty("status").GetString());
        Assert.Equal(AppVersion.Version, health.GetProperty("version").GetString());
        Assert.Matches("^[0-9]+\\.[0-9]+", AppVersion.Version);
        Assert.Equal("Healthy", health.GetProperty("checks").GetProperty("migrations").GetProperty("status").GetString());
        // Built from a git checkout, the build knows its commit.
        Assert.Matches("^[0-9a-f]{40}$", health.GetProperty("commit").GetString() ?? "");

        var page = await (await client.GetAsync("/")).Content.ReadAsStringAsync();
        Assert.Contains($"<span class=\"app-version\"", page);
        Assert.Contains(AppVersion.Describe(), page);
        // Metrics are nobody's without Metrics:Port or Metrics:AllowedAddresses.
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task WithMigrateOnStartFalseANodeOnAnUnmigratedDatabaseIsNotReadyAndServesOnlyOnceMigrated()
    {
        using var database = new TestDatabase();
        var waiting = new TestApp(database);
        waiting.Settings["Database:MigrateOnStart"] = "false";
        try
        {
            using var client = waiting.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
            var ready = await client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("migrations pending", await ready.Content.ReadAsStringAsync());
            var page = await client.GetAsync("/account/sign-in");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
            Assert.Contains("migrate", await page.Content.ReadAsStringAsync());
            Assert.Contains(waiting.LogLines, line => line.Contains("Database:MigrateOnStart is false"));
            // Nothing was migrated: the database has no tables of the platform.
            Assert.NotEmpty(await Zhiyuan.Web.Data.MigrationState.PendingAsync(waiting.Services));

            // The operator migrates (a node allowed to, here); the waiting node notices and serves, without a restart.
            await using (var migrator = new TestApp(database))
            {
                Assert.Equal(HttpStatusCode.OK, (await migrator.CreateClient().GetAsync("/health/ready")).StatusCode);
            }
            HttpStatusCode status = default;
            for (var i = 0; i < 150 && status != HttpStatusCode.OK; i++)
            {
                await Task.Delay(200);
                status = (await client.GetAsync("/health/ready")).StatusCode;
            }
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/account/sign-in")).StatusCode);
            using var admin = await waiting.ApiClientAsync();
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/activities/managed")).StatusCode);
        }
        finally
        {
            await waiting.DisposeAsync();
        }
    }

    [Fact]
    public async Task MetricsGoOnlyToAllowedAddressesAndCountSignUps()
    {
        await using var app = new ClientAddressApp();
        app.Settings["Metrics:AllowedAddresses"] = "10.9.9.9, 10.8.0.0/16";
        using var prometheus = app.From("10.9.9.9");
        using var network = app.From("10.8.3.4");
        using var stranger = app.From("203.0.113.7");

        var refused = await stranger.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.DoesNotContain("zhiyuan_", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await network.GetAsync("/metrics")).StatusCode);

        var before = await CounterAsync(prometheus, "zhiyuan_signups_total");
        var registrationsBefore = await CounterAsync(prometheus, "zhiyuan_volunteer_registrations_total");
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var session = SessionId(await PublishedAsync(admin, Activity(host, InDays(3))));
        var volunteers = await app.VolunteersAsync(1, firstSerial: 431);
        await OkAsync(await volunteers[0].Client.SignUpAsync(session));
        // A repeated sign-up changes nothing and counts nothing (other tests in this process may count their own meanwhile).
        await volunteers[0].Client.SignUpAsync(session);

        // The exporter caches a scrape for a moment.
        double after = before;
        for (var i = 0; i < 50 && after < before + 1; i++)
        {
            await Task.Delay(100);
            after = await CounterAsync(prometheus, "zhiyuan_signups_total");
        }
        Assert.True(after >= before + 1, $"zhiyuan_signups_total went from {before} to {after}");
        Assert.True(await CounterAsync(prometheus, "zhiyuan_volunteer_registrations_total") >= registrationsBefore + 1);
        // (ASP.NET Core's and the runtime's metrics are checked by DeploymentTests on a process of its own: test hosts share one process.)
    }

    static async Task<double> CounterAsync(HttpClient client, string name)
    {
        var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        // Counters without tags: one line "name value [timestamp]"; absent until first counted.
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(Value().Match(line).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^\S+(?:\{[^}]*\})? ([0-9.eE+-]+)")]
    private static partial Regex Value();

    /// <summary>A test app whose clients say which address they connect from (the test server has none of its own).</summary>
    sealed class ClientAddressApp : TestApp
    {
        public HttpClient From(string address)
        {
            var client = CreateClient();
            client.DefaultRequestHeaders.Add("X-Test-Client-Address", address);
            return client;
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new ClientAddress()));
        }

        sealed class ClientAddress : IStartupFilter
        {
            public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
            {
                app.Use(async (http, nextMiddleware) =>
                {
                    if (http.Request.Headers["X-Test-Client-Address"] is [{ } address])
                    {
                        http.Connection.RemoteIpAddress = IPAddress.Parse(address);
                    }
                    await nextMiddleware(http);
                });
                next(app);
            };
        }
    }
}
