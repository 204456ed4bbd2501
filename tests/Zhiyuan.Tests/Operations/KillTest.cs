using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit.Abstractions;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Data;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Operations;

/// <summary>
/// The real app killed with SIGKILL at random moments under a stream of writes, ten times: after each
/// restart the integrity check must pass, and at the end every write that was answered 200 must still
/// be there. Runs on the suite's provider.
/// </summary>
public sealed class KillTest(ITestOutputHelper log)
{
    const int Volunteers = 12;

    /// <summary>One write as a client saw it: Status null when no answer came (the app died under it).</summary>
    sealed record Write(int Client, string Kind, Guid Session, string Volunteer, HttpStatusCode? Status, int Confirmed);

    readonly ConcurrentQueue<Write> writes = new();
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(20) };
    AppProcess? app;

    [Fact]
    public async Task KilledTenTimesUnderWritesTheAppKeepsEveryInvariantAndEveryAnsweredWrite()
    {
        var clock = Stopwatch.StartNew();
        using var database = new TestDatabase();
        var environment = AppProcess.Environment(TestDatabase.Provider.ToString(), database.ConnectionString);
        var failures = new List<string>();
        var kills = 0;
        try
        {
            // Kill 1: during the very first start-up's migration of the fresh database.
            app = AppProcess.Start(environment);
            var migrating = await WaitForMigrationToBeginAsync(database.ConnectionString, TimeSpan.FromSeconds(60));
            await Task.Delay(Random.Shared.Next(0, 150));
            app.Kill();
            kills++;
            log.WriteLine($"kill 1: during first start-up migration ({(migrating ? "migration had begun" : "migration not seen")}) at {clock.Elapsed.TotalSeconds:0.0} s");
            await RestartAndCheckAsync(environment, failures);

            var setup = await SetUpAsync();
            log.WriteLine($"set up {Volunteers} volunteers, 3 future sessions, 2 sessions ending at {setup.EndingAt:HH:mm:ss} UTC, at {clock.Elapsed.TotalSeconds:0.0} s");

            for (var round = 2; round <= 10; round++)
            {
                // The last rounds run after the ending sessions are over, so that hour confirmations really write.
                if (round >= 8 && DateTimeOffset.UtcNow < setup.EndingAt.AddSeconds(2))
                {
                    await Task.Delay(setup.EndingAt.AddSeconds(2) - DateTimeOffset.UtcNow);
                }
                using var stop = new CancellationTokenSource();
                var clients = Enumerable.Range(0, Volunteers).Select(i => VolunteerStreamAsync(i, setup, stop.Token))
                    .Append(LeaderStreamAsync(Volunteers, setup, stop.Token)).Append(LeaderStreamAsync(Volunteers + 1, setup, stop.Token)).ToList();
                await Task.Delay(Random.Shared.Next(1000, 4000));
                app.Kill();
                kills++;
                stop.Cancel();
                await Task.WhenAll(clients);
                log.WriteLine($"kill {round}: at {clock.Elapsed.TotalSeconds:0.0} s, {writes.Count} writes sent so far");
                await RestartAndCheckAsync(environment, failures);
            }

            var lost = await FindLostWritesAsync(database.ConnectionString, setup);
            log.WriteLine($"answered writes lost: {lost.Count}");
            // Lost writes first: they are the worst news and must not be cut off by the list of violations.
            failures.InsertRange(0, lost);
            var byKind = writes.GroupBy(w => w.Kind).Select(g =>
                $"{g.Key}: {g.Count(w => w.Status == HttpStatusCode.OK)} answered 200, {g.Count(w => w.Status is { } s && s != HttpStatusCode.OK)} refused, {g.Count(w => w.Status is null)} unanswered");
            log.WriteLine($"{kills} kills, {writes.Count} writes ({string.Join("; ", byKind)}), " +
                          $"{writes.Where(w => w.Kind == "confirm" && w.Status == HttpStatusCode.OK).Sum(w => w.Confirmed)} hours credited by answered confirmations, " +
                          $"{TestDatabase.Provider}, {clock.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            app?.Dispose();
            http.Dispose();
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(30)));
    }

    async Task RestartAndCheckAsync(Dictionary<string, string?> environment, List<string> failures)
    {
        app?.Dispose();
        var restart = Stopwatch.StartNew();
        app = AppProcess.Start(environment);
        Assert.True(await app.WaitHealthyAsync(TimeSpan.FromSeconds(90)), "the app did not come back after a kill: " + app.Output);
        var check = await AppProcess.RunAsync(["check"], environment);
        log.WriteLine($"  restarted in {restart.Elapsed.TotalSeconds:0.0} s; check exit {check.ExitCode}: {check.Output.Trim().Split('\n')[^1]}");
        if (check.ExitCode != 0)
        {
            failures.Add($"check exited {check.ExitCode}: {check.Output}{check.Error}");
        }
    }

    sealed record Setup(string AdminToken, List<(string Number, string Token)> People, List<Guid> Future, List<Guid> Ending, DateTimeOffset EndingAt);

    async Task<Setup> SetUpAsync()
    {
        var admin = await TokenAsync("admin", AppProcess.AdminPassword);
        var host = (await OkAsync(await SendAsync(HttpMethod.Post, "/api/organizations", admin, new { name = "端州区青年志愿者协会", description = "", unitCode = "441202" }))).GetProperty("id").GetGuid();
        var people = new List<(string, string)>();
        for (var i = 0; i < Volunteers; i++)
        {
            var serial = 700 + i;
            var registered = await OkAsync(await SendAsync(HttpMethod.Post, "/api/volunteers", null, People.Registration("志愿者" + serial,
                People.ResidentId(new DateOnly(1995, 1 + serial % 12, 1 + serial % 28), serial % 1000), "139" + serial.ToString("D8"), "441202")));
            var number = registered.GetProperty("number").GetString()!;
            people.Add((number, await TokenAsync(number, People.Password)));
        }
        // Future sessions: small, so that sign-ups and cancellations fill, waitlist and promote; cancellable until they start.
        var future = await PublishAsync(admin, Activity(host, InDays(2), capacity: 4, title: "西江河畔清洁行动") with
        {
            CancelHoursBefore = 0,
            Sessions = [new(InDays(2, 9), InDays(2, 11), 4), new(InDays(2, 13), InDays(2, 15), 4), new(InDays(3, 9), InDays(3, 11), 4)],
        });
        // Sessions over within the test, so that their hours can be confirmed: everyone signs up now, leaders tick the roster later.
        var endingStart = DateTimeOffset.UtcNow.AddSeconds(25);
        var endingAt = endingStart.AddSeconds(61);
        var ending = await PublishAsync(admin, Activity(host, endingStart, capacity: Volunteers, title: "社区敬老服务") with
        {
            CancelHoursBefore = 0,
            Sessions = [new(endingStart, endingAt, Volunteers / 2), new(endingStart, endingAt, Volunteers / 2)],
        });
        for (var i = 0; i < Volunteers; i++)
        {
            await OkAsync(await SendAsync(HttpMethod.Post, $"/api/sessions/{ending[i % 2]}/signups", people[i].Item2));
        }
        return new Setup(admin, people, future, ending, endingAt);
    }

    async Task<List<Guid>> PublishAsync(string admin, Zhiyuan.Web.Activities.CreateActivityRequest request)
    {
        var id = (await OkAsync(await SendAsync(HttpMethod.Post, "/api/activities", admin, request))).GetProperty("id").GetGuid();
        var activity = await OkAsync(await SendAsync(HttpMethod.Post, $"/api/activities/{id}/status", admin, new { status = "Published" }));
        return activity.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("id").GetGuid()).ToList();
    }

    /// <summary>A volunteer signing up for and cancelling the future sessions, one request at a time.</summary>
    async Task VolunteerStreamAsync(int client, Setup setup, CancellationToken stop)
    {
        var (number, token) = setup.People[client];
        while (!stop.IsCancellationRequested)
        {
            var session = setup.Future[Random.Shared.Next(setup.Future.Count)];
            var cancel = Random.Shared.Next(3) == 0;
            await RecordAsync(client, cancel ? "cancel" : "signup", session, number,
                () => SendAsync(cancel ? HttpMethod.Delete : HttpMethod.Post, $"/api/sessions/{session}/signups" + (cancel ? "/me" : ""), token));
        }
    }

    /// <summary>A leader ticking the roster of the ending sessions and confirming their hours.</summary>
    async Task LeaderStreamAsync(int client, Setup setup, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var i = Random.Shared.Next(Volunteers);
            var session = setup.Ending[i % 2];
            if (Random.Shared.Next(4) == 0)
            {
                await RecordAsync(client, "confirm", session, "", () => SendAsync(HttpMethod.Post, $"/api/sessions/{session}/confirm", setup.AdminToken));
            }
            else
            {
                var checkedIn = setup.EndingAt.AddSeconds(-61);
                var body = new { checkedInAt = checkedIn, checkedOutAt = setup.EndingAt.AddSeconds(-Random.Shared.Next(0, 2)) };
                await RecordAsync(client, "roster", session, setup.People[i].Number,
                    () => SendAsync(HttpMethod.Post, $"/api/sessions/{session}/roster/{setup.People[i].Number}", setup.AdminToken, body));
            }
        }
    }

    async Task RecordAsync(int client, string kind, Guid session, string volunteer, Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            using var response = await send();
            var confirmed = 0;
            if (kind == "confirm" && response.StatusCode == HttpStatusCode.OK)
            {
                confirmed = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("confirmed").GetInt32();
            }
            writes.Enqueue(new Write(client, kind, session, volunteer, response.StatusCode, confirmed));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or JsonException)
        {
            writes.Enqueue(new Write(client, kind, session, volunteer, null, 0));
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Every write answered 200 and not followed by one whose fate is unknown is still in the database:
    /// the last answered sign-up holds a live place, the last answered cancellation is cancelled, every
    /// answered roster tick is there, and answered confirmations' credits are in the ledger.
    /// </summary>
    async Task<List<string>> FindLostWritesAsync(string connectionString, Setup setup)
    {
        var lost = new List<string>();
        var rows = new Dictionary<(string, Guid), (string Status, bool CheckedIn, bool Credited)>();
        await using (var connection = Connect(connectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT v."Number", u."SessionId", u."Status", u."CheckedInAtUtc", u."LedgerEntryId"
                FROM "SignUps" u JOIN "Volunteers" v ON v."Id" = u."VolunteerId"
                """;
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows[(reader.GetString(0), Guid.Parse(reader.GetValue(1).ToString()!))] = (reader.GetString(2), !reader.IsDBNull(3), !reader.IsDBNull(4));
            }
        }
        foreach (var pair in writes.Where(w => w.Kind is "signup" or "cancel").GroupBy(w => (w.Volunteer, w.Session)))
        {
            var sequence = pair.Where(w => w.Status != HttpStatusCode.BadRequest && w.Status != HttpStatusCode.Conflict && w.Status != HttpStatusCode.NotFound).ToList();
            if (sequence.Count == 0 || sequence[^1].Status != HttpStatusCode.OK)
            {
                continue; // nothing answered, or the last change's fate is unknown
            }
            var status = rows.TryGetValue(pair.Key, out var row) ? row.Status : "missing";
            if (sequence[^1].Kind == "signup" && status is not ("Accepted" or "Waitlisted" or "Pending"))
            {
                lost.Add($"sign-up of {pair.Key.Volunteer} for session {pair.Key.Session} was answered 200 but is {status}");
            }
            if (sequence[^1].Kind == "cancel" && status != "Cancelled")
            {
                lost.Add($"cancellation of {pair.Key.Volunteer} for session {pair.Key.Session} was answered 200 but the sign-up is {status}");
            }
        }
        foreach (var tick in writes.Where(w => w.Kind == "roster" && w.Status == HttpStatusCode.OK).DistinctBy(w => (w.Volunteer, w.Session)))
        {
            if (!rows.TryGetValue((tick.Volunteer, tick.Session), out var row) || !row.CheckedIn)
            {
                lost.Add($"roster tick of {tick.Volunteer} in session {tick.Session} was answered 200 but is not recorded");
            }
        }
        foreach (var session in setup.Ending)
        {
            var answered = writes.Where(w => w.Kind == "confirm" && w.Session == session && w.Status == HttpStatusCode.OK).Sum(w => w.Confirmed);
            var credited = rows.Count(r => r.Key.Item2 == session && r.Value.Credited);
            if (credited < answered)
            {
                lost.Add($"confirmations of session {session} were answered with {answered} credits, but {credited} sign-ups are credited");
            }
        }
        return lost;
    }

    /// <summary>Polls the fresh database until EF's migration has begun (its lock table or history table exists).</summary>
    async Task<bool> WaitForMigrationToBeginAsync(string connectionString, TimeSpan timeout)
    {
        var sql = TestDatabase.Provider == DatabaseProvider.Sqlite
            ? "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('__EFMigrationsLock', '__EFMigrationsHistory')"
            : $"SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = {0x5A68697975616E & 0xFFFFFFFF}";
        var giveUpAt = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < giveUpAt && !app!.HasExited)
        {
            try
            {
                await using var connection = Connect(connectionString);
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                if (Convert.ToInt64(await command.ExecuteScalarAsync()) > 0)
                {
                    return true;
                }
            }
            catch (DbException)
            {
                // The file is busy or not there yet.
            }
            await Task.Delay(20);
        }
        return false;
    }

    static DbConnection Connect(string connectionString) => TestDatabase.Provider == DatabaseProvider.Sqlite
        ? new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString())
        : new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());

    async Task<string> TokenAsync(string userName, string password) =>
        (await OkAsync(await SendAsync(HttpMethod.Post, "/api/auth/token", null, new { userName, password }))).GetProperty("accessToken").GetString()!;

    Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, object? body = null)
    {
        var request = new HttpRequestMessage(method, new Uri(app!.BaseAddress, path));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        return http.SendAsync(request);
    }
}
