using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Xunit.Abstractions;
using Zhiyuan.Tests.Campaigns;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Operations;

/// <summary>
/// The deployment of docs/operations.md, run: `migrate` on the suite's database (the throwaway PostgreSQL
/// in CI's PostgreSQL pass), two nodes with Database:MigrateOnStart=false and metrics ports of their own,
/// Debian's nginx with deploy/nginx/zhiyuan.conf itself (only ports, addresses and certificate paths
/// replaced) terminating TLS with a self-signed certificate over HTTP/2, compressing CSS and JS. A journey
/// through nginx (register, sign up, the organisation accepts the sign-ups, last week's session back-entered
/// and its hours confirmed, a report submitted and returned) moves the platform's counters. The returned
/// report's message is mailed through a slow mail server: the node sending it (holding the claim) is
/// killed with SIGKILL under a stream of requests; nginx sends everything to the other node, no request
/// failing but those in flight at the kill, and once the claim has run out (Jobs:ClaimSeconds, short here)
/// the other node mails the message, exactly once. The rate limit counts the real client addresses.
/// </summary>
public sealed class DeploymentTests(ITestOutputHelper log)
{
    const string ServerName = "zhiyuan.example.gov.cn";

    /// <summary>
    /// The claim on background work: short, so that the survivor takes up the dead node's mail within the
    /// test, yet longer than the moments between the claim and the kill on a loaded machine.
    /// </summary>
    const int ClaimSeconds = 12;

    [Fact]
    public async Task TwoNodesBehindTheDeployedNginxSiteServeAJourneyOverHttpsAndSurviveTheLossOfOne()
    {
        var nginx = new[] { "/usr/sbin/nginx" }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, "nginx")))
            .FirstOrDefault(File.Exists);
        if (nginx is null)
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") is { } ci && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1"),
                "CI=true but nginx is not installed.");
            log.WriteLine("nginx is not installed: skipped.");
            return;
        }
        var clock = Stopwatch.StartNew();
        using var database = new TestDatabase();
        var environment = AppProcess.Environment(TestDatabase.Provider.ToString(), database.ConnectionString);
        environment["Database__MigrateOnStart"] = "false";
        environment["ForwardedHeaders__KnownProxies"] = "127.0.0.1";
        environment["Logging__Json"] = "true";
        // A slow mail server for the message centre's mail (subjects 【志愿肇庆】): it holds each such mail unanswered.
        using var mail = new TestMailServer { Hold = m => m.Subject?.StartsWith("【志愿肇庆】", StringComparison.Ordinal) == true };
        environment["Mail__Host"] = "127.0.0.1";
        environment["Mail__Port"] = mail.Port.ToString(CultureInfo.InvariantCulture);
        environment["Mail__Security"] = "None";
        environment["Mail__PublicUrl"] = $"https://{ServerName}";
        environment["Jobs__ClaimSeconds"] = ClaimSeconds.ToString(CultureInfo.InvariantCulture);
        environment["Jobs__MessageDeliverySeconds"] = "1";
        // The static files from the source folder (the test's build folder has none of its own), uncompressed: nginx compresses them.
        environment["ASPNETCORE_WEBROOT"] = Path.Combine(RepositoryRoot(), "src", "Zhiyuan.Web", "wwwroot");

        // 1. migrate, once, as the upgrade steps say.
        var migrate = await AppProcess.RunAsync(["migrate"], environment, TimeSpan.FromSeconds(120));
        Assert.True(migrate.ExitCode == 0, migrate.Output + migrate.Error);
        Assert.Contains("Migrated the", migrate.Output);
        log.WriteLine($"migrate: {migrate.Output.Trim().Split('\n')[^1]} ({clock.Elapsed.TotalSeconds:0.0} s)");

        // 2. Two nodes that do not migrate, each with a metrics port; each sends mail from its own address, so the mail server tells who sent.
        var metricsPorts = new[] { FreePort(), FreePort() };
        var nodes = metricsPorts.Select((port, i) => AppProcess.Start(new Dictionary<string, string?>(environment)
        {
            ["Metrics__Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Mail__From"] = $"node{i}@zhiyuan.test",
        })).ToList();
        var folder = Directory.CreateTempSubdirectory("zhiyuan-deploy-");
        Process? proxy = null;
        try
        {
            foreach (var node in nodes)
            {
                Assert.True(await node.WaitHealthyAsync(TimeSpan.FromSeconds(90)), node.Output);
            }
            using (var direct = new HttpClient { BaseAddress = nodes[0].BaseAddress })
            {
                Assert.Equal(HttpStatusCode.OK, (await direct.GetAsync("/health/ready")).StatusCode);
            }
            Assert.DoesNotContain("migrations pending", nodes[0].Output);

            // 3. nginx with the deployed site.
            var (httpsPort, certificate) = await WriteNginxAsync(folder.FullName, nodes);
            proxy = Process.Start(new ProcessStartInfo(nginx, ["-p", folder.FullName, "-e", Path.Combine(folder.FullName, "error.log"), "-c", Path.Combine(folder.FullName, "nginx.conf"), "-g", "daemon off;"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            using var client = Client("127.0.0.2", httpsPort, certificate);
            await WaitListeningAsync(client, proxy, folder.FullName);

            // HTTP/2 over TLS, HSTS, compressed static files, no metrics for the public.
            var health = await client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal(HttpVersion.Version20, health.Version);
            var signIn = await client.GetAsync("/account/sign-in");
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
            Assert.Contains("max-age=", string.Join(" ", signIn.Headers.GetValues("Strict-Transport-Security")));
            // Compressed by nginx (gzip_types): the stylesheet, a script and a page. A published node serves its own
            // pre-compressed copies of static files; these nodes run from the test's build folder, whose web root has
            // none, so the client prefers identity (and accepts gzip): the node answers uncompressed, nginx compresses.
            foreach (var (path, type) in new[] { ("/app.css", "text/css"), ("/nav.js", "javascript"), ("/account/sign-in", "text/html") })
            {
                const string preferIdentity = "identity, gzip;q=0.5";
                using var direct = new HttpClient { BaseAddress = nodes[0].BaseAddress };
                using var plain = new HttpRequestMessage(HttpMethod.Get, path);
                plain.Headers.TryAddWithoutValidation("Accept-Encoding", preferIdentity);
                var fromNode = await direct.SendAsync(plain);
                Assert.Equal(HttpStatusCode.OK, fromNode.StatusCode);
                Assert.Empty(fromNode.Content.Headers.ContentEncoding);
                Assert.True((await fromNode.Content.ReadAsByteArrayAsync()).Length > 1024, path);
                using var request = new HttpRequestMessage(HttpMethod.Get, path) { Version = HttpVersion.Version20 };
                request.Headers.TryAddWithoutValidation("Accept-Encoding", preferIdentity);
                var answer = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
                Assert.Contains(type, answer.Content.Headers.ContentType?.MediaType);
                Assert.True(answer.Content.Headers.ContentEncoding.Contains("gzip"), $"{path}: {answer.Headers} {answer.Content.Headers}");
            }
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/metrics")).StatusCode);
            var counters = new[] { "zhiyuan_volunteer_registrations_total", "zhiyuan_signups_total", "zhiyuan_hours_confirmations_total", "zhiyuan_report_submissions_total" };
            var before = await CountersAsync(metricsPorts, counters);

            // 4. The journey: register, sign up, the organisation accepts the sign-ups, last week's session is back-entered
            // and its hours confirmed by 端州's administrator, who submits 端州's report; the city returns it.
            var admin = await TokenAsync(client, "admin", AppProcess.AdminPassword);
            await OkAsync(await SendAsync(client, HttpMethod.Post, "/api/accounts", admin, new
            {
                userName = "duanzhou", displayName = "端州区管理员", password = "Unit-admin-2019", role = "UnitAdmin", unitCode = "441202", email = "duanzhou@zq.test",
            }));
            var duanzhou = await TokenAsync(client, "duanzhou", "Unit-admin-2019");
            var host = (await OkAsync(await SendAsync(client, HttpMethod.Post, "/api/organizations", admin, new { name = "端州区青年志愿者协会", description = "", unitCode = "441202" }))).GetProperty("id").GetGuid();
            var activity = await OkAsync(await SendAsync(client, HttpMethod.Post, "/api/activities", admin, Activity(host, InDays(3), capacity: 30) with { ReviewSignUps = true }));
            var published = await OkAsync(await SendAsync(client, HttpMethod.Post, $"/api/activities/{activity.GetProperty("id").GetGuid()}/status", admin, new { status = "Published" }));
            var session = SessionId(published);
            var volunteers = new List<(string Number, string Token)>();
            for (var i = 0; i < 4; i++)
            {
                var serial = 820 + i;
                var registered = await OkAsync(await SendAsync(client, HttpMethod.Post, "/api/volunteers", null, People.Registration("志愿者" + serial,
                    People.ResidentId(new DateOnly(1994, 1 + serial % 12, 1 + serial % 28), serial % 1000), "139" + serial.ToString("D8"), "441202")));
                var number = registered.GetProperty("number").GetString()!;
                var token = await TokenAsync(client, number, People.Password);
                await OkAsync(await SendAsync(client, HttpMethod.Post, $"/api/sessions/{session}/signups", token));
                await OkAsync(await SendAsync(client, HttpMethod.Post, $"/api/sessions/{session}/signups/{number}/decision", admin, new { approve = true }));
                volunteers.Add((number, token));
            }
            var lastWeek = InDays(-7, 9);
            var backEntry = (await OkAsync(await SendAsync(client, HttpMethod.Post, "/api/back-entries", admin, new
            {
                hostOrganizationId = host, title = "西江河畔清洁（补录）", description = "清理河岸垃圾", serviceLine = "Ecology", populationTypes = new[] { "EmptyNestElderly" },
                address = "肇庆市端州区西江南路", responsiblePerson = "陈队长", sessions = new[] { new { startsAt = lastWeek, endsAt = lastWeek.AddHours(3) } },
                attendance = volunteers.Select(v => new { volunteer = v.Number }).ToArray(), submit = true,
            }))).GetProperty("id").GetGuid();
            var approval = await OkAsync(await SendAsync(client, HttpMethod.Post, $"/api/back-entries/{backEntry}/approve", duanzhou, new { }));
            Assert.Equal(4, approval.GetProperty("credited").GetInt32());
            var today = DateOnly.FromDateTime(DateTime.UtcNow.Add(China));
            var campaign = (await OkAsync(await SendAsync(client, HttpMethod.Post, "/api/campaigns", admin, new
            {
                name = "文明创建志愿服务月", theme = "志愿肇庆 美好生活", startDate = today.AddDays(-13).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                endDate = today.AddDays(14).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), dueDay = "Friday", dueHour = 0, reportingDepth = 1,
                contactName = "曾繁智", contactPhone = "0758-2323563",
            }))).GetProperty("id").GetGuid();
            await OkAsync(await SendAsync(client, HttpMethod.Post, $"/api/campaigns/{campaign}/reports/441202/1/submit", duanzhou, new { contactName = "李干事", contactPhone = "0758-2230000" }));
            await OkAsync(await SendAsync(client, HttpMethod.Post, $"/api/campaigns/{campaign}/reports/441202/1/return", admin, new { comment = "请补充线下植树活动" }));

            // Both nodes served the journey (nginx spreads requests), and together they counted it.
            var after = await CountersAsync(metricsPorts, counters);
            using (var scrape = new HttpClient())
            {
                // ASP.NET Core's and the runtime's metrics beside the platform's own.
                var text = await scrape.GetStringAsync($"http://127.0.0.1:{metricsPorts[1]}/metrics");
                Assert.Contains("http_server_request_duration_seconds", text);
                Assert.Contains("dotnet_gc_collections", text);
            }
            log.WriteLine("counters before → after the journey: " + string.Join(", ", counters.Select(c => $"{c} {before[c]} → {after[c]}")));
            Assert.Equal(4, after["zhiyuan_volunteer_registrations_total"] - before["zhiyuan_volunteer_registrations_total"]);
            Assert.Equal(4, after["zhiyuan_signups_total"] - before["zhiyuan_signups_total"]);
            Assert.Equal(4, after["zhiyuan_hours_confirmations_total"] - before["zhiyuan_hours_confirmations_total"]);
            Assert.Equal(1, after["zhiyuan_report_submissions_total"] - before["zhiyuan_report_submissions_total"]);

            // 5. A stream of reads and writes from eight clients; one node is killed in the middle of it.
            var outcomes = new ConcurrentQueue<(TimeSpan At, string What, HttpStatusCode? Status)>();
            using var stop = new CancellationTokenSource();
            var streams = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                var (number, token) = volunteers[i % volunteers.Count];
                while (!stop.IsCancellationRequested)
                {
                    var (what, send) = (i % 2) switch
                    {
                        0 => ("GET /api/activities", (Func<Task<HttpResponseMessage>>)(() => SendAsync(client, HttpMethod.Get, $"/api/activities/{published.GetProperty("id").GetGuid()}", null))),
                        _ => ("POST signups", () => SendAsync(client, HttpMethod.Post, $"/api/sessions/{session}/signups", token)),
                    };
                    var at = clock.Elapsed;
                    try
                    {
                        using var answer = await send();
                        outcomes.Enqueue((at, what, answer.StatusCode));
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        outcomes.Enqueue((at, what, null));
                    }
                }
            })).ToList();
            // The node that claimed the returned report's message is in the middle of mailing it (the server holds it):
            // that node is killed, two seconds into the stream.
            await Task.Delay(2000);
            for (var i = 0; i < 600 && mail.Held.IsEmpty; i++)
            {
                await Task.Delay(100);
            }
            var held = Assert.Single(mail.Held);
            var senderIndex = held.From.Mailboxes.Single().Address switch { "node0@zhiyuan.test" => 0, "node1@zhiyuan.test" => 1, var address => throw new InvalidOperationException(address) };
            var killedAt = clock.Elapsed;
            nodes[senderIndex].Kill();
            var afterKill = clock.Elapsed;
            var survivor = nodes[1 - senderIndex];
            Assert.Single(mail.Held);
            mail.Release();
            await Task.Delay(4000);
            await stop.CancelAsync();
            await Task.WhenAll(streams);

            // A sign-up repeated is answered 200 (already signed up) or a clear refusal; what counts as failed is a gateway error or no answer.
            static bool Failed((TimeSpan At, string What, HttpStatusCode? Status) o) => o.Status is null or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout or HttpStatusCode.ServiceUnavailable or >= HttpStatusCode.InternalServerError;
            var failed = outcomes.Where(Failed).ToList();
            var beforeKill = outcomes.Count(o => o.At < killedAt);
            var sentAfterKill = outcomes.Where(o => o.At > afterKill).ToList();
            log.WriteLine($"node {senderIndex} killed while mailing; {outcomes.Count} requests ({beforeKill} before the kill, {sentAfterKill.Count} after it); failed: {failed.Count} " +
                          string.Join("; ", failed.Select(f => $"{f.What} at {f.At.TotalSeconds:0.00} s → {(f.Status is { } s ? (int)s : "no answer")}")));
            Assert.True(sentAfterKill.Count > 20, $"only {sentAfterKill.Count} requests after the kill");
            // No failure at all among requests sent after the kill: nginx passed them to the surviving node …
            Assert.DoesNotContain(sentAfterKill, Failed);
            // … and at most one per client (the request it had in flight on the killed node) around it.
            Assert.True(failed.Count <= 8, $"{failed.Count} requests failed");
            Assert.True(survivor.HasExited == false, survivor.Output);

            // 6. The rate limit sees the real client address (X-Forwarded-For from nginx, trusted from 127.0.0.1 only):
            // the short-code check allows 20 a minute per address, on the one node left.
            for (var i = 0; i < 20; i++)
            {
                Assert.NotEqual(HttpStatusCode.TooManyRequests, (await client.GetAsync($"/api/service-certificates/verify?short=ABCD{i:0000}")).StatusCode);
            }
            Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync("/api/service-certificates/verify?short=ABCD9999")).StatusCode);
            using var other = Client("127.0.0.3", httpsPort, certificate);
            Assert.NotEqual(HttpStatusCode.TooManyRequests, (await other.GetAsync("/api/service-certificates/verify?short=ABCD0000")).StatusCode);
            // A client's own X-Forwarded-For is replaced by nginx, so it cannot claim a fresh address.
            using var forged = new HttpRequestMessage(HttpMethod.Get, "/api/service-certificates/verify?short=ABCD0001") { Version = HttpVersion.Version20 };
            forged.Headers.Add("X-Forwarded-For", "203.0.113.9");
            Assert.Equal(HttpStatusCode.TooManyRequests, (await client.SendAsync(forged)).StatusCode);

            // 7. The message the dead node was mailing: the survivor mails it once its claim has run out — once, from the survivor.
            static bool FromTheCentre(MimeKit.MimeMessage m) => m.Subject?.StartsWith("【志愿肇庆】", StringComparison.Ordinal) == true;
            for (var i = 0; i < 600 && !mail.Messages.Any(FromTheCentre); i++)
            {
                await Task.Delay(100);
            }
            var mailed = Assert.Single(mail.Messages, FromTheCentre);
            log.WriteLine($"the survivor mailed it {(clock.Elapsed - killedAt).TotalSeconds:0.0} s after the kill (claims last {ClaimSeconds} s)");
            Assert.Equal($"node{1 - senderIndex}@zhiyuan.test", mailed.From.Mailboxes.Single().Address);
            Assert.Equal(["duanzhou@zq.test"], mailed.To.Mailboxes.Select(m => m.Address));
            Assert.Equal(held.Subject, mailed.Subject);
            Assert.Contains("意见：请补充线下植树活动", mailed.TextBody);
            // Done for good: the centre says it was mailed, and later runs (every second) send nothing more.
            var inbox = await OkAsync(await SendAsync(client, HttpMethod.Get, "/api/messages", duanzhou));
            var returned = inbox.GetProperty("messages").EnumerateArray().Single(m => m.GetProperty("kind").GetString() == "ReportReturned");
            Assert.NotEqual(JsonValueKind.Null, returned.GetProperty("emailedAtUtc").ValueKind);
            await Task.Delay(3000);
            Assert.Single(mail.Messages, FromTheCentre);
            Assert.Equal(1, await CounterAsync(metricsPorts[1 - senderIndex], "zhiyuan_messages_sent_total"));

            // The survivor's logs are JSON lines.
            Assert.Contains(survivor.Output.Split('\n'), line => line.StartsWith("{\"Timestamp\"", StringComparison.Ordinal));
            log.WriteLine($"done in {clock.Elapsed.TotalSeconds:0.0} s on {TestDatabase.Provider}");
        }
        finally
        {
            if (proxy is not null)
            {
                if (!proxy.HasExited)
                {
                    proxy.Kill(entireProcessTree: true);
                }
                await proxy.WaitForExitAsync();
                proxy.Dispose();
            }
            foreach (var node in nodes)
            {
                node.Dispose();
            }
            folder.Delete(recursive: true);
        }
    }

    /// <summary>deploy/nginx/zhiyuan.conf with the test's ports, loopback addresses and certificate, inside an nginx.conf that writes only into the folder.</summary>
    static async Task<(int HttpsPort, X509Certificate2 Certificate)> WriteNginxAsync(string folder, List<AppProcess> nodes)
    {
        var site = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy", "nginx", "zhiyuan.conf"));
        var (httpPort, httpsPort) = (FreePort(), FreePort());
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={ServerName}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(ServerName);
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        await File.WriteAllTextAsync(Path.Combine(folder, "fullchain.pem"), certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(folder, "privkey.pem"), rsa.ExportPkcs8PrivateKeyPem());

        string Replace(string text, string what, string with)
        {
            Assert.Contains(what, text);
            return text.Replace(what, with);
        }
        site = Replace(site, "127.0.0.1:5001", nodes[0].BaseAddress.Authority);
        site = Replace(site, "127.0.0.1:5002", nodes[1].BaseAddress.Authority);
        site = Replace(site, "listen 80;", $"listen 127.0.0.1:{httpPort};");
        site = Replace(site, "listen [::]:80;", "");
        site = Replace(site, "listen 443 ssl http2;", $"listen 127.0.0.1:{httpsPort} ssl http2;");
        site = Replace(site, "listen [::]:443 ssl http2;", "");
        site = Replace(site, "/etc/ssl/zhiyuan/fullchain.pem", Path.Combine(folder, "fullchain.pem"));
        site = Replace(site, "/etc/ssl/zhiyuan/privkey.pem", Path.Combine(folder, "privkey.pem"));
        await File.WriteAllTextAsync(Path.Combine(folder, "zhiyuan.conf"), site);
        await File.WriteAllTextAsync(Path.Combine(folder, "nginx.conf"), $$"""
            {{(Environment.UserName == "root" ? "user root;" : "")}}
            worker_processes 1;
            pid {{folder}}/nginx.pid;
            error_log {{folder}}/error.log;
            events { worker_connections 256; }
            http {
                include /etc/nginx/mime.types;
                access_log off;
                client_body_temp_path {{folder}}/client_body;
                proxy_temp_path {{folder}}/proxy;
                fastcgi_temp_path {{folder}}/fastcgi;
                uwsgi_temp_path {{folder}}/uwsgi;
                scgi_temp_path {{folder}}/scgi;
                include {{folder}}/zhiyuan.conf;
            }
            """);
        return (httpsPort, certificate);
    }

    static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "deploy", "nginx", "zhiyuan.conf")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("deploy/nginx/zhiyuan.conf not found above " + AppContext.BaseDirectory);
    }

    /// <summary>An HTTPS client leaving from the given loopback address (as if from another machine), trusting only the test's certificate, asking for HTTP/2.</summary>
    static HttpClient Client(string address, int port, X509Certificate2 certificate) => new(new SocketsHttpHandler
    {
        UseCookies = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
        SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString() },
    })
    {
        BaseAddress = new Uri($"https://{ServerName}:{port}"),
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
        Timeout = TimeSpan.FromSeconds(30),
    };

    static async Task<string> TokenAsync(HttpClient client, string userName, string password) =>
        (await OkAsync(await SendAsync(client, HttpMethod.Post, "/api/auth/token", null, new { userName, password }))).GetProperty("accessToken").GetString()!;

    static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? token, object? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Version = HttpVersion.Version20 };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        return client.SendAsync(request);
    }

    /// <summary>Each counter summed over the nodes' metrics ports.</summary>
    static async Task<Dictionary<string, double>> CountersAsync(int[] metricsPorts, string[] names)
    {
        var sums = new Dictionary<string, double>();
        foreach (var name in names)
        {
            sums[name] = 0;
            foreach (var port in metricsPorts)
            {
                sums[name] += await CounterAsync(port, name);
            }
        }
        return sums;
    }

    static async Task<double> CounterAsync(int metricsPort, string name)
    {
        using var scrape = new HttpClient();
        var text = await scrape.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal));
        if (line is null)
        {
            return 0;
        }
        var rest = line.Contains('}') ? line[(line.LastIndexOf('}') + 1)..] : line[name.Length..];
        return double.Parse(rest.Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    static async Task WaitListeningAsync(HttpClient client, Process proxy, string folder)
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                await client.GetAsync("/health/live");
                return;
            }
            catch (HttpRequestException) when (!proxy.HasExited)
            {
                await Task.Delay(100);
            }
        }
        var errors = File.Exists(Path.Combine(folder, "error.log")) ? await File.ReadAllTextAsync(Path.Combine(folder, "error.log")) : "";
        Assert.Fail($"nginx did not start: {errors}");
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
