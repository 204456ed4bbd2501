using Microsoft.AspNetCore.Identity;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Tests;

/// <summary>
/// The database the suite runs on, chosen by ZHIYUAN_TEST_PROVIDER (Sqlite, the default, or
/// Postgres with ZHIYUAN_TEST_POSTGRES as the server's connection string). Every test app gets
/// a database of its own, dropped when the app is disposed.
/// </summary>
public sealed class TestDatabase : IDisposable
{
    public static DatabaseProvider Provider =>
        Environment.GetEnvironmentVariable("ZHIYUAN_TEST_PROVIDER") is { } p && p.Equals("Postgres", StringComparison.OrdinalIgnoreCase)
            ? DatabaseProvider.Postgres
            : DatabaseProvider.Sqlite;

    static string PostgresServer =>
        Environment.GetEnvironmentVariable("ZHIYUAN_TEST_POSTGRES") ?? "Host=127.0.0.1;Port=55432;Username=postgres";

    public string ConnectionString { get; }

    readonly string name = "zt_" + Guid.NewGuid().ToString("N");

    public TestDatabase()
    {
        if (Provider == DatabaseProvider.Postgres)
        {
            ConnectionString = new NpgsqlConnectionStringBuilder(PostgresServer) { Database = name }.ToString();
            // Created here rather than by the app's migration, which would first log a failed connection.
            using var connection = new NpgsqlConnection(PostgresServer);
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            create.ExecuteNonQuery();
        }
        else
        {
            var folder = Path.Combine(Path.GetTempPath(), "zhiyuan-tests");
            Directory.CreateDirectory(folder);
            ConnectionString = $"Data Source={Path.Combine(folder, name + ".db")}";
        }
    }

    public void Dispose()
    {
        if (Provider == DatabaseProvider.Postgres)
        {
            NpgsqlConnection.ClearAllPools();
            using var connection = new NpgsqlConnection(PostgresServer);
            connection.Open();
            using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
            drop.ExecuteNonQuery();
        }
        else
        {
            SqliteConnection.ClearAllPools();
            var file = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
            foreach (var path in new[] { file, file + "-wal", file + "-shm", file + ".migrate-lock" })
            {
                File.Delete(path);
            }
        }
    }
}

/// <summary>The whole platform in memory on its own database, as a test sees it through HTTP.</summary>
public class TestApp : WebApplicationFactory<Program>
{
    public const string AdminPassword = "Admin-pass-2019";

    readonly TestDatabase? ownDatabase;

    public TestApp() : this(new TestDatabase(), ownsDatabase: true)
    {
    }

    /// <summary>A second node on the same database as another app.</summary>
    public TestApp(TestDatabase database, bool ownsDatabase = false)
    {
        Database = database;
        ownDatabase = ownsDatabase ? database : null;
    }

    public TestDatabase Database { get; }

    /// <summary>Configuration a test adds before the app starts (mail server, demo data …).</summary>
    public Dictionary<string, string> Settings { get; } = [];

    /// <summary>The app's clock: real time, moved on by tests that need a session to start or a deadline to pass.</summary>
    public TestClock Clock { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Database:Provider", TestDatabase.Provider.ToString());
        builder.UseSetting("Database:ConnectionString", Database.ConnectionString);
        builder.UseSetting("Admin:Password", AdminPassword);
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<IStartupFilter>(new RecordResponses(Responses));
            services.AddSingleton<ILoggerProvider>(new RecordLogs(LogLines));
            services.AddSingleton<TimeProvider>(Clock);
            // Password hashing at full strength costs ~50 ms a time; tests that sign in hundreds of volunteers need it cheap.
            services.Configure<PasswordHasherOptions>(o => o.IterationCount = 1_000);
        });
    }

    bool started;

    protected override Microsoft.Extensions.Hosting.IHost CreateHost(Microsoft.Extensions.Hosting.IHostBuilder builder)
    {
        var host = base.CreateHost(builder);
        started = true;
        return host;
    }

    /// <summary>Every text response the app sent (pages, API, CSV), with the request that asked for it and what that request sent.</summary>
    public ConcurrentQueue<(string Request, string Sent, string Body)> Responses { get; } = new();

    public ConcurrentQueue<string> LogLines { get; } = new();

    /// <summary>
    /// Full ID or mobile numbers of registered volunteers, and citizens' phone numbers, addresses and
    /// notes, found in any response or log line, other than the audited full views asked for. Checked for every test app when it
    /// is disposed, so every test of the suite watches for leaks.
    /// </summary>
    public async Task<List<string>> FindPersonalDataLeaksAsync()
    {
        var personalData = Services.GetRequiredService<PersonalData>();
        var secrets = await WithDbAsync(db => db.Volunteers.AsNoTracking().Select(v => new { v.Number, v.DocumentCipher, v.PhoneCipher }).ToListAsync());
        var values = secrets.SelectMany(v => new[] { (v.Number, personalData.Decrypt(v.DocumentCipher)), (v.Number, personalData.Decrypt(v.PhoneCipher)) }).ToList();
        // Citizens' phone numbers, home addresses and notes on their orders are personal data too
        // (an address or note short enough to appear by chance elsewhere is left out).
        var citizens = await WithDbAsync(db => db.CitizenOrders.AsNoTracking().Select(o => new { o.Id, o.PhoneCipher, o.Address, o.Notes }).ToListAsync());
        values.AddRange(citizens.Select(o => ($"order {o.Id}", personalData.Decrypt(o.PhoneCipher))));
        values.AddRange(citizens.SelectMany(o => new[] { o.Address, o.Notes }.Where(text => text.Length >= 8).Select(text => ($"order {o.Id}", text))));
        var leaks = new List<string>();
        // A form showing back what its own sender just typed is not a leak; anything else is.
        foreach (var (request, sent, body) in Responses.Where(r => !IsAuditedFullView(r.Request)).Concat(LogLines.Select(l => ("log", "", l))))
        {
            leaks.AddRange(values.Where(v => body.Contains(v.Item2, StringComparison.OrdinalIgnoreCase) && !sent.Contains(v.Item2, StringComparison.OrdinalIgnoreCase))
                .Select(v => $"{v.Number}'s number in {request}"));
        }
        return leaks;
    }

    static bool IsAuditedFullView(string request) =>
        request.EndsWith("/personal-data") || request.EndsWith(" handler=reveal") || request.Contains("/api/orders/assignments/");

    sealed class RecordResponses(ConcurrentQueue<(string, string, string)> responses) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (http, nextMiddleware) =>
            {
                http.Request.EnableBuffering();
                var sent = await new StreamReader(http.Request.Body, leaveOpen: true).ReadToEndAsync();
                http.Request.Body.Position = 0;
                var original = http.Response.Body;
                await using var copy = new MemoryStream();
                http.Response.Body = copy;
                try
                {
                    await nextMiddleware(http);
                }
                finally
                {
                    http.Response.Body = original;
                    copy.Position = 0;
                    var type = http.Response.ContentType ?? "";
                    if (type.Contains("html") || type.Contains("json") || type.Contains("csv") || type.Contains("text"))
                    {
                        var handler = sent.Split('&').FirstOrDefault(f => f.StartsWith("_handler="))?.Replace("_handler=", " handler=") ?? "";
                        responses.Enqueue(($"{http.Request.Method} {http.Request.Path}{handler}", Uri.UnescapeDataString(sent.Replace('+', ' ')), new StreamReader(copy).ReadToEnd()));
                        copy.Position = 0;
                    }
                    await copy.CopyToAsync(original);
                }
            });
            next(app);
        };
    }

    sealed class RecordLogs(ConcurrentQueue<string> lines) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(formatter(state, exception) + " " + exception);

        public void Dispose()
        {
        }
    }

    public async Task<T> WithDbAsync<T>(Func<AppDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    /// <summary>An API client holding a bearer token for the given account.</summary>
    public async Task<HttpClient> ApiClientAsync(string userName = "admin", string password = AdminPassword, string language = "zh-CN")
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.AcceptLanguage.Add(new StringWithQualityHeaderValue(language));
        var response = await client.PostAsJsonAsync("/api/auth/token", new { userName, password });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Creates a unit administrator through the API, as the city administrator would.</summary>
    public async Task CreateUnitAdminAsync(string userName, string unitCode, string password = "Unit-admin-2019")
    {
        using var city = await ApiClientAsync();
        var response = await city.PostAsJsonAsync("/api/accounts", new { userName, displayName = userName, password, role = "UnitAdmin", unitCode });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A client that behaves like a browser: keeps cookies in the given jar, follows no redirects.</summary>
    public HttpClient PageClient(CookieContainer? jar = null, string language = "zh-CN")
    {
        var client = CreateDefaultClient(new CookieJar(jar ?? new CookieContainer()));
        if (language.Length > 0)
        {
            client.DefaultRequestHeaders.AcceptLanguage.Add(new StringWithQualityHeaderValue(language));
        }
        return client;
    }

    /// <summary>Every way of disposing the app passes here while it still runs: look for leaks once, then shut down.</summary>
    public override async ValueTask DisposeAsync()
    {
        List<string> leaks = [];
        if (started && ownDatabase is not null)
        {
            started = false;
            leaks = await FindPersonalDataLeaksAsync();
        }
        await base.DisposeAsync();
        Assert.True(leaks.Count == 0, "Personal data left the server unmasked: " + string.Join("; ", leaks.Take(5)));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            ownDatabase?.Dispose();
        }
    }

    sealed class CookieJar(CookieContainer cookies) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var header = cookies.GetCookieHeader(request.RequestUri!);
            if (header.Length > 0)
            {
                request.Headers.Add("Cookie", header);
            }
            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Set-Cookie", out var values))
            {
                foreach (var value in values)
                {
                    cookies.SetCookies(request.RequestUri!, value);
                }
            }
            return response;
        }
    }
}

/// <summary>A test class whose every test gets a fresh app on a fresh database.</summary>
public abstract class AppTest : IDisposable
{
    protected readonly TestApp app = new();

    public void Dispose()
    {
        app.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Every unit as one string, to show that a refused request changed nothing.</summary>
    protected Task<string> UnitsSnapshotAsync() => app.WithDbAsync(async db =>
        string.Join("\n", (await db.Units.AsNoTracking().OrderBy(u => u.Code).ToListAsync())
            .Select(u => $"{u.Code}|{u.Name}|{u.Type}|{u.ParentId}|{u.Path}|{u.Depth}|{u.IsActive}")));
}

/// <summary>Reads pages and submits their forms the way a browser would.</summary>
public static class Pages
{
    public static async Task<IHtmlDocument> GetPageAsync(this HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await client.GetAsync(url);
        Assert.Equal(expected, response.StatusCode);
        return new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Posts a Blazor form: its handler name, the antiforgery token taken from a page, and the fields.</summary>
    public static Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string url, IHtmlDocument pageWithToken, string handler, params (string Name, string Value)[] fields)
    {
        var token = pageWithToken.QuerySelector("input[name=__RequestVerificationToken]")?.GetAttribute("value");
        Assert.False(string.IsNullOrEmpty(token), "the page has no antiforgery token");
        var values = new List<KeyValuePair<string, string>> { new("_handler", handler), new("__RequestVerificationToken", token!) };
        values.AddRange(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        return client.PostAsync(url, new FormUrlEncodedContent(values));
    }

    /// <summary>Checks a 400 problem-details answer that names the field and contains the reason.</summary>
    public static async Task<JsonElement> AssertFieldErrorAsync(HttpResponseMessage response, string field, string reasonContains)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for field '{field}' in {errors}");
        Assert.Contains(messages.EnumerateArray(), m => m.GetString()!.Contains(reasonContains, StringComparison.OrdinalIgnoreCase));
        return problem;
    }

    public static async Task SignInAsync(this HttpClient client, string userName, string password)
    {
        var page = await client.GetPageAsync("/account/sign-in");
        var response = await client.PostFormAsync("/account/sign-in", page, "sign-in", ("Input.UserName", userName), ("Input.Password", password));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }
}

/// <summary>The system clock plus an offset a test can move forward.</summary>
public sealed class TestClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;

    public void Advance(TimeSpan by) => Offset += by;
}
