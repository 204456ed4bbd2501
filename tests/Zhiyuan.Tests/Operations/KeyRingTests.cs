using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Tests.Operations;

/// <summary>
/// The data-protection key ring is encrypted with a certificate kept outside the database: a copy of the
/// database without that certificate opens nothing, and a rotated certificate keeps everything working.
/// Runs the real app as a production node on the suite's provider.
/// </summary>
public sealed class KeyRingTests(ITestOutputHelper log)
{
    [Fact]
    public async Task ACopyOfTheDatabaseOpensNothingWithoutItsCertificateAndARotationKeepsEverythingWorking()
    {
        var clock = Stopwatch.StartNew();
        using var database = new TestDatabase();
        var provider = TestDatabase.Provider.ToString();
        Dictionary<string, string?> Node(string current, params string[] previous) =>
            new(AppProcess.Environment(provider, database.ConnectionString).Concat(TestCertificates.Environment(current, previous))
                .GroupBy(e => e.Key).Select(g => g.Last()));

        // Platform A: a volunteer registers, the city administrator signs in (token and cookie) and sees the full numbers.
        var idNumber = People.ResidentId(new DateOnly(1996, 4, 18), 731);
        const string mobile = "13912345678";
        string number, token;
        var cookies = new CookieContainer();
        using (var a = AppProcess.Start(Node("A")))
        {
            Assert.True(await a.WaitHealthyAsync(TimeSpan.FromSeconds(90)), a.Output);
            using var http = Client(a);
            number = (await OkAsync(await http.PostAsJsonAsync("/api/volunteers", People.Registration("林晓", idNumber, mobile)))).GetProperty("number").GetString()!;
            token = await TokenAsync(http);
            var full = await RevealAsync(http, token, number);
            Assert.Equal((idNumber, mobile), full);
            using var browser = Browser(a, cookies);
            await browser.SignInAsync("admin", AppProcess.AdminPassword);
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/account/password")).StatusCode);
        }
        log.WriteLine($"platform A: registered {number}, signed in, at {clock.Elapsed.TotalSeconds:0.0} s");

        // What the thief takes: a copy of the database, without the certificate.
        using var copy = await DatabaseCopy.OfAsync(database);
        var text = await copy.AllTextAsync();
        Assert.DoesNotContain(idNumber, text);
        Assert.DoesNotContain(mobile, text);
        Assert.DoesNotContain(Convert.ToHexString(Encoding.UTF8.GetBytes(idNumber)), text, StringComparison.OrdinalIgnoreCase);
        var keys = await copy.KeyRowsAsync();
        Assert.NotEmpty(keys);
        using var certificateA = X509CertificateLoader.LoadPkcs12FromFile(TestCertificates.Pfx("A"), TestCertificates.Password);
        Assert.All(keys, xml =>
        {
            Assert.Contains("EncryptedData", xml);
            Assert.Contains(Convert.ToBase64String(certificateA.RawData).Substring(100, 60), xml);
        });

        // The thief's own data protection on the copy: with certificate A (the control) the token and the
        // personal-data keys open; with any other certificate, B, nothing does.
        using var certificateB = X509CertificateLoader.LoadPkcs12FromFile(TestCertificates.Pfx("B"), TestCertificates.Password);
        var secret = await copy.PersonalDataSecretAsync();
        Assert.NotNull(OpenToken(copy.Protection(certificateA), token));
        Assert.Equal(64, copy.Protection(certificateA).CreateProtector("Zhiyuan.PersonalData.Keys").Unprotect(secret).Length);
        var withB = copy.Protection(certificateB);
        Assert.Null(OpenToken(withB, token));
        Assert.ThrowsAny<CryptographicException>(() => withB.CreateProtector("Zhiyuan.PersonalData.Keys").Unprotect(secret));

        // Platform B on the copy: refuses to start, in one sentence naming the setting.
        var onCopyWithB = new Dictionary<string, string?>(Node("B")) { ["Database__ConnectionString"] = copy.ConnectionString };
        var refused = await AppProcess.RunAsync(["--urls", "http://127.0.0.1:0"], onCopyWithB);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("DataProtection:PreviousCertificatePaths", refused.Error);
        Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(idNumber, refused.Output + refused.Error);
        log.WriteLine($"copy opened with B: refused ({refused.Error.Trim()[..60]}…), at {clock.Elapsed.TotalSeconds:0.0} s");

        // Rotation: C is the certificate now and A is listed as previous. The token and the cookie issued under A
        // still work, the numbers are still there, and a new sign-in works.
        using (var c = AppProcess.Start(Node("C", "A")))
        {
            Assert.True(await c.WaitHealthyAsync(TimeSpan.FromSeconds(90)), c.Output);
            using var http = Client(c);
            Assert.Equal((idNumber, mobile), await RevealAsync(http, token, number));
            Assert.Equal((idNumber, mobile), await RevealAsync(http, await TokenAsync(http), number));
            using var browser = Browser(c, cookies);
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/account/password")).StatusCode);
        }
        log.WriteLine($"rotated to C with A as previous: old token, old cookie and the numbers work, at {clock.Elapsed.TotalSeconds:0.0} s");

        // The rotation made a key under C and moved the personal-data keys onto it: with A retired, the numbers
        // still open, while what was issued under A (sessions end within hours anyway) no longer does.
        using (var d = AppProcess.Start(Node("C")))
        {
            Assert.True(await d.WaitHealthyAsync(TimeSpan.FromSeconds(90)), d.Output);
            using var http = Client(d);
            Assert.Equal((idNumber, mobile), await RevealAsync(http, await TokenAsync(http), number));
            using var old = new HttpRequestMessage(HttpMethod.Get, "/api/units") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(old)).StatusCode);
        }
        log.WriteLine($"A retired: numbers open under C alone, A's token refused; {provider}, {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task TurningTheCertificateOnForADatabaseWhoseKeysLayInTheClearLeavesNoKeyInTheClear()
    {
        using var database = new TestDatabase();
        var production = AppProcess.Environment(TestDatabase.Provider.ToString(), database.ConnectionString);
        var development = new Dictionary<string, string?>(production.Where(e => !e.Key.StartsWith("DataProtection__")))
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
        };
        var idNumber = People.ResidentId(new DateOnly(1988, 9, 9), 555);
        string number;
        using (var before = AppProcess.Start(development))
        {
            Assert.True(await before.WaitHealthyAsync(TimeSpan.FromSeconds(90)), before.Output);
            using var http = Client(before);
            number = (await OkAsync(await http.PostAsJsonAsync("/api/volunteers", People.Registration("陈默", idNumber, "13800001111")))).GetProperty("number").GetString()!;
        }
        using (var copy = await DatabaseCopy.OfAsync(database))
        {
            Assert.Contains(await copy.KeyRowsAsync(), xml => !xml.Contains("EncryptedData"));
        }

        using (var after = AppProcess.Start(production))
        {
            Assert.True(await after.WaitHealthyAsync(TimeSpan.FromSeconds(90)), after.Output);
            using var http = Client(after);
            Assert.Equal((idNumber, "13800001111"), await RevealAsync(http, await TokenAsync(http), number));
        }
        using var taken = await DatabaseCopy.OfAsync(database);
        var keys = await taken.KeyRowsAsync();
        Assert.NotEmpty(keys);
        Assert.All(keys, xml => Assert.Contains("EncryptedData", xml));
    }

    [Fact]
    public async Task OutsideDevelopmentStartUpRefusesWithoutAUsableCertificateInOneSentence()
    {
        using var database = new TestDatabase();
        var environment = AppProcess.Environment(TestDatabase.Provider.ToString(), database.ConnectionString);
        environment.Remove("DataProtection__CertificatePath");
        var missing = await AppProcess.RunAsync(["--urls", "http://127.0.0.1:0"], environment);
        environment["DataProtection__CertificatePath"] = TestCertificates.Pfx("node");
        environment["DataProtection__CertificatePassword"] = "not-the-password";
        var wrongPassword = await AppProcess.RunAsync(["--urls", "http://127.0.0.1:0"], environment);

        Assert.Contains("DataProtection:CertificatePath is not set", missing.Error);
        Assert.Contains("DataProtection:CertificatePath: the certificate", wrongPassword.Error);
        foreach (var run in new[] { missing, wrongPassword })
        {
            Assert.Equal(1, run.ExitCode);
            Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.DoesNotContain("   at ", run.Error + run.Output);
        }
    }

    [Fact]
    public async Task InDevelopmentWithoutACertificateThePlatformRunsAndWarnsThatTheKeysAreUnprotected()
    {
        await using var app = new TestApp();
        using var admin = await app.ApiClientAsync();

        Assert.Contains(app.LogLines, line => line.Contains("unprotected") && line.Contains("DataProtection:CertificatePath"));
    }

    static HttpClient Client(AppProcess app) => new() { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    static HttpClient Browser(AppProcess app, CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    static async Task<string> TokenAsync(HttpClient http) =>
        (await OkAsync(await http.PostAsJsonAsync("/api/auth/token", new { userName = "admin", password = AppProcess.AdminPassword }))).GetProperty("accessToken").GetString()!;

    static async Task<(string DocumentNumber, string Mobile)> RevealAsync(HttpClient http, string token, string number)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/volunteers/{number}/personal-data")
        {
            Content = JsonContent.Create(new { reason = "核对保险投保信息" }),
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
        };
        var full = await OkAsync(await http.SendAsync(request));
        return (full.GetProperty("documentNumber").GetString()!, full.GetProperty("mobile").GetString()!);
    }

    static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>What the bearer-token handler does with a token (Identity's bearer scheme), outside the app.</summary>
    static AuthenticationTicket? OpenToken(IDataProtectionProvider protection, string token) =>
        new TicketDataFormat(protection.CreateProtector("Microsoft.AspNetCore.Authentication.BearerToken", "Identity.Bearer", "BearerToken")).Unprotect(token);
}

/// <summary>A copy of a test database, as someone who took it would have it; dropped when disposed.</summary>
public sealed class DatabaseCopy : IDisposable
{
    readonly List<ServiceProvider> providers = [];

    DatabaseCopy(string connectionString) => ConnectionString = connectionString;

    public string ConnectionString { get; }

    static bool Sqlite => TestDatabase.Provider == DatabaseProvider.Sqlite;

    /// <summary>Its files (database and write-ahead log) on SQLite; a template copy on PostgreSQL. The source's app must have ended.</summary>
    public static async Task<DatabaseCopy> OfAsync(TestDatabase source)
    {
        if (Sqlite)
        {
            SqliteConnection.ClearAllPools();
            var from = new SqliteConnectionStringBuilder(source.ConnectionString).DataSource;
            var to = Path.Combine(Path.GetDirectoryName(from)!, "copy_" + Guid.NewGuid().ToString("N") + ".db");
            foreach (var suffix in new[] { "", "-wal" })
            {
                if (File.Exists(from + suffix))
                {
                    File.Copy(from + suffix, to + suffix);
                }
            }
            return new DatabaseCopy($"Data Source={to}");
        }
        var target = new NpgsqlConnectionStringBuilder(source.ConnectionString) { Database = "zt_copy_" + Guid.NewGuid().ToString("N"), Pooling = false };
        var name = new NpgsqlConnectionStringBuilder(source.ConnectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(source.ConnectionString) { Database = "postgres", Pooling = false }.ToString());
        await admin.OpenAsync();
        // A killed node's sessions may linger a moment; a template must have none.
        await new NpgsqlCommand($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()", admin).ExecuteNonQueryAsync();
        await new NpgsqlCommand($"CREATE DATABASE {target.Database} TEMPLATE {name}", admin).ExecuteNonQueryAsync();
        return new DatabaseCopy(target.ToString());
    }

    /// <summary>Everything in the copy as text: the raw files on SQLite, a plain pg_dump on PostgreSQL (binary columns in hex).</summary>
    public async Task<string> AllTextAsync()
    {
        if (Sqlite)
        {
            SqliteConnection.ClearAllPools();
            var file = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
            var bytes = new[] { file, file + "-wal" }.Where(File.Exists).SelectMany(File.ReadAllBytes).ToArray();
            // Raw bytes as Latin-1 keep ASCII digits where they are; hex of the same bytes catches them inside blobs too.
            return Encoding.Latin1.GetString(bytes) + Convert.ToHexString(bytes);
        }
        var connection = new NpgsqlConnectionStringBuilder(ConnectionString);
        var dump = Process.Start(new ProcessStartInfo(PgTool("pg_dump"), ["--format=plain", "--dbname=" + connection.Database])
        {
            RedirectStandardOutput = true,
            Environment = { ["PGHOST"] = connection.Host, ["PGPORT"] = connection.Port.ToString(), ["PGUSER"] = connection.Username },
        })!;
        var text = await dump.StandardOutput.ReadToEndAsync();
        await dump.WaitForExitAsync();
        Assert.Equal(0, dump.ExitCode);
        return text;
    }

    public static string PgTool(string name) =>
        Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin", name)).Where(File.Exists).OrderDescending().FirstOrDefault() ?? name;

    public async Task<List<string>> KeyRowsAsync()
    {
        await using var db = Context();
        return (await db.DataProtectionKeys.AsNoTracking().Select(k => k.Xml).ToListAsync()).Select(x => x ?? "").Where(x => x.StartsWith("<key")).ToList();
    }

    public async Task<byte[]> PersonalDataSecretAsync()
    {
        await using var db = Context();
        return Convert.FromBase64String((await db.ProtectedSecrets.AsNoTracking().SingleAsync()).Value);
    }

    /// <summary>ASP.NET Core data protection over the copy's key ring with the given certificate, as anyone could set it up.</summary>
    public IDataProtectionProvider Protection(X509Certificate2 certificate)
    {
        var services = new ServiceCollection().AddLogging();
        var connectionString = ConnectionString;
        IDataProtectionBuilder dataProtection;
        if (Sqlite)
        {
            services.AddDbContext<SqliteAppDbContext>(o => o.UseSqlite(connectionString));
            dataProtection = services.AddDataProtection().PersistKeysToDbContext<SqliteAppDbContext>();
        }
        else
        {
            services.AddDbContext<PostgresAppDbContext>(o => o.UseNpgsql(connectionString));
            dataProtection = services.AddDataProtection().PersistKeysToDbContext<PostgresAppDbContext>();
        }
        dataProtection.SetApplicationName("Zhiyuan").ProtectKeysWithCertificate(certificate);
        var provider = services.BuildServiceProvider();
        providers.Add(provider);
        return provider.GetRequiredService<IDataProtectionProvider>();
    }

    AppDbContext Context() => Sqlite
        ? new SqliteAppDbContext(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite(ConnectionString).Options)
        : new PostgresAppDbContext(new DbContextOptionsBuilder<PostgresAppDbContext>().UseNpgsql(ConnectionString).Options);

    public void Dispose()
    {
        foreach (var provider in providers)
        {
            provider.Dispose();
        }
        if (Sqlite)
        {
            SqliteConnection.ClearAllPools();
            var file = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
            foreach (var path in new[] { file, file + "-wal", file + "-shm", file + ".migrate-lock" })
            {
                File.Delete(path);
            }
            return;
        }
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(ConnectionString).Database;
        using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false }.ToString());
        admin.Open();
        new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin).ExecuteNonQuery();
    }
}
