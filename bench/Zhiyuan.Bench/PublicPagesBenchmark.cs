using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Zhiyuan.Web.Data;

/// <summary>
/// Public pages under load: 64 concurrent anonymous clients read a fixed mix of public pages and API
/// answers (home, activity list and pages, service menu, honour roll, a campaign dashboard) from the
/// platform over real HTTP (Kestrel on 127.0.0.1, in this process) for a fixed time. Baseline in the
/// same run: a plain Kestrel app in this process serving, with the static-file middleware, one file of
/// exactly the same size for each address of the mix, read the same way by the same 64 clients. The
/// platform runs twice: with the output cache (PublicCache:Seconds = 10) and without (0).
/// </summary>
static class PublicPagesBenchmark
{
    const int Clients = 64;

    public const string Usage = """
        public "<connection string>" [--seconds N] [--only cached|uncached] [--light]
          the database must already hold data (generated, or a copy of it: the platform migrates and seeds it on start);
          --light leaves out the four addresses whose render aggregates a year of the ledger (2019's honour roll and the dashboard, pages and API)
        """;

    public static async Task RunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            throw new ArgumentException(Usage);
        }
        var connectionString = args[0];
        var seconds = Option(args, "--seconds") is { } s ? int.Parse(s) : 20;
        var only = Option(args, "--only");
        BenchHost.PointAtWebProject();
        Console.WriteLine($"Public pages: {Clients} concurrent clients, {seconds} s a phase after a 3 s warm-up; load average at start {LoadAverage()}");

        var urls = await AddressesAsync(connectionString, args.Contains("--light"));
        var results = new List<(string Name, Result Pages, Result Static)>();
        foreach (var cached in new[] { true, false })
        {
            if (only is not null && only != (cached ? "cached" : "uncached"))
            {
                continue;
            }
            await using var host = new PublicHost(connectionString, cached ? 10 : 0);
            host.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            host.StartServer();
            var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseCookies = false };
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(2) };
            http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("zh-CN");

            // The sizes of the answers, then a static site with one file of each size.
            var sizes = new long[urls.Count];
            for (var i = 0; i < urls.Count; i++)
            {
                using var response = await http.GetAsync(address.TrimEnd('/') + urls[i]);
                response.EnsureSuccessStatusCode();
                sizes[i] = (await response.Content.ReadAsByteArrayAsync()).Length;
            }
            var folder = Directory.CreateTempSubdirectory("zhiyuan-static-");
            var staticUrls = new List<string>();
            for (var i = 0; i < urls.Count; i++)
            {
                var name = $"page{i}.html";
                var bytes = new byte[sizes[i]];
                Array.Fill(bytes, (byte)'x');
                await File.WriteAllBytesAsync(Path.Combine(folder.FullName, name), bytes);
                staticUrls.Add("/" + name);
            }
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            await using var staticSite = builder.Build();
            staticSite.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(folder.FullName) });
            await staticSite.StartAsync();
            var staticAddress = staticSite.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

            var name2 = cached ? "with the output cache (10 s)" : "without the output cache";
            Console.WriteLine($"  platform {name2} at {address}; static site at {staticAddress}; answers {string.Join(", ", sizes.Select(z => $"{z / 1024.0:F1}"))} KB");
            var pages = await LoadAsync(http, address.TrimEnd('/'), urls, seconds);
            var statics = await LoadAsync(http, staticAddress.TrimEnd('/'), staticUrls, seconds);
            Console.WriteLine($"    platform: {pages}");
            Console.WriteLine($"    static:   {statics}");
            Console.WriteLine($"    rate platform / static {pages.Rate / statics.Rate:F2} (target at least 0.5); load average now {LoadAverage()}");
            results.Add((name2, pages, statics));
            await staticSite.StopAsync();
            folder.Delete(recursive: true);
        }
        Console.WriteLine("Summary:");
        foreach (var (name, pages, statics) in results)
        {
            Console.WriteLine($"  {name}: platform {pages.Rate:N0}/s (p50 {pages.P50:F1} ms, p90 {pages.P90:F1}, p99 {pages.P99:F1}), static {statics.Rate:N0}/s (p50 {statics.P50:F1}, p90 {statics.P90:F1}, p99 {statics.P99:F1}), ratio {pages.Rate / statics.Rate:F2}, errors {pages.Errors}/{statics.Errors}, from cache {pages.FromCache:P0}");
        }
    }

    sealed record Result(long Requests, double Seconds, double P50, double P90, double P99, long Errors, double FromCache, long Bytes)
    {
        public double Rate => Requests / Seconds;

        public override string ToString() =>
            $"{Requests:N0} answers in {Seconds:F1} s = {Rate:N0}/s, p50 {P50:F1} ms, p90 {P90:F1} ms, p99 {P99:F1} ms, errors {Errors}, from cache {FromCache:P0}, {Bytes / Seconds / 1024 / 1024:F1} MB/s";
    }

    /// <summary>Each client goes round the mix from its own starting point until the time is up.</summary>
    static async Task<Result> LoadAsync(HttpClient http, string address, List<string> urls, int seconds)
    {
        await RunAsync(TimeSpan.FromSeconds(3));
        return await RunAsync(TimeSpan.FromSeconds(seconds));

        async Task<Result> RunAsync(TimeSpan duration)
        {
            var latencies = new List<double>[Clients];
            long errors = 0, cached = 0, bytes = 0;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
            {
                var mine = latencies[c] = new List<double>(100_000);
                var buffer = new byte[64 * 1024];
                for (var i = c; watch.Elapsed < duration; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        using var response = await http.GetAsync(address + urls[i % urls.Count], HttpCompletionOption.ResponseHeadersRead);
                        await using var body = await response.Content.ReadAsStreamAsync();
                        int read;
                        long total = 0;
                        while ((read = await body.ReadAsync(buffer)) > 0)
                        {
                            total += read;
                        }
                        Interlocked.Add(ref bytes, total);
                        if (response.StatusCode != HttpStatusCode.OK)
                        {
                            Interlocked.Increment(ref errors);
                        }
                        if (response.Headers.Age is not null)
                        {
                            Interlocked.Increment(ref cached);
                        }
                    }
                    catch (HttpRequestException)
                    {
                        Interlocked.Increment(ref errors);
                    }
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            })));
            var elapsed = watch.Elapsed.TotalSeconds;
            var all = latencies.SelectMany(l => l).ToArray();
            Array.Sort(all);
            return new Result(all.Length, elapsed, Percentile(all, 0.5), Percentile(all, 0.9), Percentile(all, 0.99), errors, all.Length == 0 ? 0 : (double)cached / all.Length, bytes);
        }
    }

    static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>The mix: what a crowd reads, with real ids from the database.</summary>
    static async Task<List<string>> AddressesAsync(string connectionString, bool light)
    {
        await using var db = BenchHost.Open(connectionString);
        var activities = await db.Activities.AsNoTracking().Where(a => a.Status == Zhiyuan.Web.Activities.ActivityStatus.Finished || a.Status == Zhiyuan.Web.Activities.ActivityStatus.Published)
            .OrderByDescending(a => a.CreatedAtUtc).Select(a => a.Id).Take(3).ToListAsync();
        var campaign = await db.Campaigns.AsNoTracking().OrderBy(c => c.StartDate).Select(c => (Guid?)c.Id).FirstOrDefaultAsync();
        var year = await db.LedgerEntries.AsNoTracking().OrderByDescending(e => e.StartUtc).Select(e => (DateTime?)e.StartUtc).FirstOrDefaultAsync();
        List<string> urls = ["/", "/activities", "/activities?openPlaces=true", "/services", "/honour", "/api/public/figures", "/api/activities", "/api/public/recruiting"];
        urls.AddRange(activities.Select(id => $"/activities/{id}"));
        urls.AddRange(activities.Take(1).Select(id => $"/api/activities/{id}"));
        if (year is { } last && !light)
        {
            urls.Add($"/honour?year={last.Year}");
            urls.Add($"/api/public/honour-roll?year={last.Year}");
        }
        if (campaign is { } id2 && !light)
        {
            urls.Add($"/campaigns/{id2}/dashboard");
            urls.Add($"/api/campaigns/{id2}/dashboard");
        }
        Console.WriteLine($"  mix of {urls.Count} addresses: {string.Join(" ", urls)}");
        return urls;
    }

    static string? Option(string[] args, string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

    static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    /// <summary>The platform with the output cache on (seconds) or off (0).</summary>
    sealed class PublicHost(string connectionString, int seconds) : BenchHost(connectionString)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("PublicCache:Seconds", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
