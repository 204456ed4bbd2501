using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Activity = Zhiyuan.Web.Activities.Activity;

/// <summary>
/// A sign-up storm on a city-sized database: 500 volunteers each sign up for all 40 sessions (250
/// places each) of one activity over real HTTP from 64 concurrent clients, 20,000 sign-ups for
/// 10,000 places. The baseline, in the same run, is the same capacity-checked insert issued straight
/// to PostgreSQL from 64 concurrent Npgsql connections into 40 fresh sessions.
/// </summary>
static class SignUpStorm
{
    const int Volunteers = 500;
    const int Sessions = 40;
    const int Capacity = 250;
    const int Clients = 64;
    const string Password = "Storm-volunteer-2019";

    public const string Usage = """
        signups "<PostgreSQL connection string>" [--existing] [--floor] [generator options]
          without --existing the generator fills the database first (generator options as for generate, e.g. --recreate);
          with --existing the database must already hold generated data
          --floor: afterwards, as many authenticated GET /api/auth/me requests (what HTTP alone costs here)
        """;

    public static async Task RunAsync(string[] args)
    {
        if (args.Length == 0 || BenchHost.IsSqlite(args[0]))
        {
            throw new ArgumentException(Usage);
        }
        var connectionString = args[0];
        if (!args.Contains("--existing"))
        {
            await SyntheticData.RunAsync(SyntheticData.Parse(args.Where(a => a != "--floor").ToArray()));
            GC.Collect();
        }
        BenchHost.PointAtWebProject();
        await using var host = new BenchHost(connectionString);
        host.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        host.StartServer();
        var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        var (volunteers, activityId, sessionIds, baselineSessionIds, warmUpSessionId) = await PrepareAsync(host.Services);
        Console.WriteLine($"Sign-up storm at {address}: {volunteers.Count} volunteers × {Sessions} sessions of {Capacity} places (activity {activityId}), {Clients} concurrent clients");

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };

        // Tokens first, 16 at a time (each costs a password hash check), outside the timing.
        var watch = Stopwatch.StartNew();
        var tokens = new string[volunteers.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, volunteers.Count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            using var response = await http.PostAsJsonAsync("/api/auth/token", new { userName = volunteers[i].Number, password = Password }, ct);
            response.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            tokens[i] = body.RootElement.GetProperty("accessToken").GetString()!;
        });
        Console.WriteLine($"  {tokens.Length} tokens in {watch.Elapsed.TotalSeconds:F1} s");

        // Warm-up: 64 sign-ups for a session of its own, so that the storm finds the queries compiled.
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => SignUpAsync(http, tokens[i], warmUpSessionId)));

        // Every (volunteer, session) pair once, in an order fixed by a seed: 64 requests in flight spread over the 40 sessions.
        var pairs = (from v in Enumerable.Range(0, volunteers.Count) from s in Enumerable.Range(0, Sessions) select (Volunteer: v, Session: s)).ToArray();
        new Random(2019).Shuffle(pairs);

        GC.Collect();
        var before = Environment.WorkingSet;
        var peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, Environment.WorkingSet);
                await Task.Delay(50);
            }
        });
        var statuses = new string[pairs.Length];
        var latencies = new double[pairs.Length];
        var next = -1;
        watch.Restart();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < pairs.Length)
            {
                var started = Stopwatch.GetTimestamp();
                statuses[i] = await SignUpAsync(http, tokens[pairs[i].Volunteer], sessionIds[pairs[i].Session]);
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        })));
        var httpSeconds = watch.Elapsed.TotalSeconds;
        sampling.Cancel();
        await sampler;
        peak = Math.Max(peak, Environment.WorkingSet);

        var (overbooked, accepted, waitlisted, counterMismatch) = await CheckAsync(connectionString, sessionIds);
        var outcomes = statuses.GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count():N0}");
        Array.Sort(latencies);

        // Baseline: the same pairs, the same order, the same transaction, straight to PostgreSQL.
        var (baselineSeconds, baselineLatencies) = await BaselineAsync(connectionString, pairs, volunteers, baselineSessionIds);
        var (baselineOverbooked, baselineAccepted, baselineWaitlisted, baselineMismatch) = await CheckAsync(connectionString, baselineSessionIds);
        Array.Sort(baselineLatencies);

        var httpRate = pairs.Length / httpSeconds;
        var baselineRate = pairs.Length / baselineSeconds;
        Console.WriteLine($"  HTTP responses: {string.Join(", ", outcomes)}");
        Console.WriteLine($"  HTTP sign-ups    {httpSeconds,7:F2} s  {httpRate,8:N0} sign-ups/s  p50 {Percentile(latencies, 0.5),7:F1} ms  p99 {Percentile(latencies, 0.99),7:F1} ms");
        Console.WriteLine($"  Npgsql baseline  {baselineSeconds,7:F2} s  {baselineRate,8:N0} sign-ups/s  p50 {Percentile(baselineLatencies, 0.5),7:F1} ms  p99 {Percentile(baselineLatencies, 0.99),7:F1} ms");
        Console.WriteLine($"  HTTP rate / baseline rate   {httpRate / baselineRate,5:F2}   (target at least 0.5)");
        Console.WriteLine($"  HTTP:     accepted {accepted:N0}, waitlisted {waitlisted:N0}, overbooked places {overbooked}, sessions whose Accepted counter differs {counterMismatch}");
        Console.WriteLine($"  baseline: accepted {baselineAccepted:N0}, waitlisted {baselineWaitlisted:N0}, overbooked places {baselineOverbooked}, sessions whose Accepted counter differs {baselineMismatch}");
        Console.WriteLine($"  working set before the storm {before / 1024 / 1024} MB, peak during it {peak / 1024 / 1024} MB (web host and clients, one process)");
        if (args.Contains("--floor"))
        {
            // What HTTP alone costs here: as many authenticated requests that each make two small reads
            // (GET /api/auth/me: the account, its roles) from the same 64 clients with the same tokens.
            var floorLatencies = new double[pairs.Length];
            var failed = 0;
            next = -1;
            watch.Restart();
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < pairs.Length)
                {
                    var started = Stopwatch.GetTimestamp();
                    using var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
                    request.Headers.Authorization = new("Bearer", tokens[pairs[i].Volunteer]);
                    using var response = await http.SendAsync(request);
                    await response.Content.ReadAsByteArrayAsync();
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref failed);
                    }
                    floorLatencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
            })));
            var floorRate = pairs.Length / watch.Elapsed.TotalSeconds;
            Array.Sort(floorLatencies);
            Console.WriteLine($"  floor: GET /api/auth/me {floorRate,8:N0} requests/s  p50 {Percentile(floorLatencies, 0.5),7:F1} ms  p99 {Percentile(floorLatencies, 0.99),7:F1} ms  failed {failed}; floor / baseline {floorRate / baselineRate:F2}, sign-ups / floor {httpRate / floorRate:F2}");
        }
        if (overbooked != 0 || accepted != Sessions * Capacity || waitlisted != pairs.Length - Sessions * Capacity || counterMismatch != 0)
        {
            throw new InvalidOperationException("The storm's results are wrong (see above).");
        }
        NpgsqlConnection.ClearAllPools();
    }

    static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>The sign-up's status, or "HTTP nnn" when it was refused.</summary>
    static async Task<string> SignUpAsync(HttpClient http, string token, Guid sessionId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sessions/{sessionId}/signups");
        request.Headers.Authorization = new("Bearer", token);
        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return $"HTTP {(int)response.StatusCode}";
        }
        using var body = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        return body.RootElement.GetProperty("status").GetString()!;
    }

    sealed record StormVolunteer(Guid Id, string Number);

    /// <summary>
    /// 500 adult volunteers without an account get one (one password hash shared by all: hashing 500
    /// passwords would only measure PBKDF2), and three activities are published by the first
    /// organisation: the storm's, the baseline's and a warm-up session, at times that do not overlap.
    /// </summary>
    static async Task<(List<StormVolunteer>, Guid, Guid[], Guid[], Guid)> PrepareAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var now = DateTime.UtcNow;
        var adultBefore = DateOnly.FromDateTime(now).AddYears(-19);
        var volunteers = await db.Volunteers.AsNoTracking().Where(v => v.UserId == null && v.BirthDate < adultBefore)
            .OrderBy(v => v.Number).Take(Volunteers).Select(v => new { v.Id, v.Number, v.Name, v.PhoneHash }).ToListAsync();
        if (volunteers.Count < Volunteers)
        {
            throw new InvalidOperationException($"The database has only {volunteers.Count} adult volunteers without an account; generate data first.");
        }
        var watch = Stopwatch.StartNew();
        var hash = users.PasswordHasher.HashPassword(new AppUser(), Password);
        foreach (var v in volunteers)
        {
            var user = new AppUser { UserName = v.Number, DisplayName = v.Name, PhoneHash = v.PhoneHash, PasswordHash = hash };
            var created = await users.CreateAsync(user);
            if (!created.Succeeded || !(await users.AddToRoleAsync(user, Roles.Volunteer)).Succeeded)
            {
                throw new InvalidOperationException($"Cannot create the account of {v.Number}: {string.Join("; ", created.Errors.Select(e => e.Description))}");
            }
            await db.Volunteers.Where(x => x.Id == v.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.UserId, user.Id));
        }
        Console.WriteLine($"  {volunteers.Count} volunteer accounts in {watch.Elapsed.TotalSeconds:F1} s");

        var organization = await db.Organizations.AsNoTracking().Where(o => o.Status == Zhiyuan.Web.Organizations.OrganizationStatus.Approved)
            .OrderBy(o => o.Id).FirstAsync();
        // Sessions from 09:00 to 11:00 China time, one a day, starting 60 (storm), 120 (baseline) and 200 (warm-up) days from now.
        var firstDay = DateOnly.FromDateTime(now + ChinaTime.Offset);
        Guid[] Publish(string title, int daysAhead, int sessions)
        {
            var activity = new Activity
            {
                Title = title,
                Description = "报名压力测试",
                HostOrganizationId = organization.Id,
                UnitId = organization.UnitId,
                ServiceLine = Zhiyuan.Web.Volunteers.ServiceLines.CivilisedCity,
                Address = "端州区星湖大道1号",
                ResponsiblePerson = "压力测试",
                Status = ActivityStatus.Published,
                SignUpOpensAtUtc = now.AddHours(-1),
                SignUpClosesAtUtc = now.AddDays(daysAhead - 1),
                CreatedAtUtc = now.AddHours(-2),
                PublishedAtUtc = now.AddHours(-1),
            };
            for (var k = 0; k < sessions; k++)
            {
                var start = firstDay.AddDays(daysAhead + k).ToDateTime(new TimeOnly(9, 0), DateTimeKind.Utc) - ChinaTime.Offset;
                activity.Sessions.Add(new ActivitySession
                {
                    StartsAtUtc = start,
                    EndsAtUtc = start.AddHours(2),
                    Capacity = Capacity,
                    CheckInSecret = RandomNumberGenerator.GetBytes(32),
                });
            }
            db.Activities.Add(activity);
            return activity.Sessions.Select(s => s.Id).ToArray();
        }
        var storm = Publish("报名风暴", 60, Sessions);
        var baseline = Publish("报名风暴（基线）", 120, Sessions);
        var warmUp = Publish("报名风暴（预热）", 200, 1);
        await db.SaveChangesAsync();
        var activityId = await db.ActivitySessions.Where(s => s.Id == storm[0]).Select(s => s.ActivityId).SingleAsync();
        return (volunteers.Select(v => new StormVolunteer(v.Id, v.Number)).ToList(), activityId, storm, baseline, warmUp[0]);
    }

    /// <summary>
    /// The capacity-checked insert with nothing around it: BEGIN; take a place if one is left;
    /// insert the sign-up as Accepted or Waitlisted by the update's row count; COMMIT — from 64 tasks,
    /// each on its own connection.
    /// </summary>
    static async Task<(double Seconds, double[] Latencies)> BaselineAsync(string connectionString, (int Volunteer, int Session)[] pairs,
        List<StormVolunteer> volunteers, Guid[] sessionIds)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = Clients + 4 };
        await using var source = NpgsqlDataSource.Create(builder.ToString());
        // Open the 64 connections before timing, as the web host's pool already is.
        var connections = new NpgsqlConnection[Clients];
        for (var c = 0; c < Clients; c++)
        {
            connections[c] = await source.OpenConnectionAsync();
        }
        var latencies = new double[pairs.Length];
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(connections.Select(connection => Task.Run(async () =>
        {
            await using var update = new NpgsqlCommand("""UPDATE "ActivitySessions" SET "Accepted" = "Accepted" + 1 WHERE "Id" = @s AND "Accepted" < "Capacity" """, connection);
            var updateSession = update.Parameters.Add(new NpgsqlParameter("s", NpgsqlDbType.Uuid));
            await using var insert = new NpgsqlCommand("""
                INSERT INTO "SignUps" ("Id", "SessionId", "VolunteerId", "Status", "RequestedAtUtc", "DecidedAtUtc", "CheckOutMissing", "LastCodeWindow")
                VALUES (@id, @s, @v, @status, @now, @now, false, 0)
                """, connection);
            var id = insert.Parameters.Add(new NpgsqlParameter("id", NpgsqlDbType.Uuid));
            var insertSession = insert.Parameters.Add(new NpgsqlParameter("s", NpgsqlDbType.Uuid));
            var volunteer = insert.Parameters.Add(new NpgsqlParameter("v", NpgsqlDbType.Uuid));
            var status = insert.Parameters.Add(new NpgsqlParameter("status", NpgsqlDbType.Varchar));
            var now = insert.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz));
            int i;
            while ((i = Interlocked.Increment(ref next)) < pairs.Length)
            {
                var started = Stopwatch.GetTimestamp();
                await using var transaction = await connection.BeginTransactionAsync();
                update.Transaction = transaction;
                insert.Transaction = transaction;
                updateSession.Value = sessionIds[pairs[i].Session];
                var took = await update.ExecuteNonQueryAsync() == 1;
                id.Value = Guid.CreateVersion7();
                insertSession.Value = sessionIds[pairs[i].Session];
                volunteer.Value = volunteers[pairs[i].Volunteer].Id;
                status.Value = took ? nameof(SignUpStatus.Accepted) : nameof(SignUpStatus.Waitlisted);
                now.Value = DateTime.UtcNow;
                await insert.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        })));
        var seconds = watch.Elapsed.TotalSeconds;
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
        return (seconds, latencies);
    }

    /// <summary>Overbooked places (accepted sign-ups beyond capacity, summed over sessions), accepted and waitlisted sign-ups, and sessions whose counter disagrees with their sign-ups.</summary>
    static async Task<(long Overbooked, long Accepted, long Waitlisted, long CounterMismatch)> CheckAsync(string connectionString, Guid[] sessionIds)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT COALESCE(SUM(GREATEST(0, a.n - s."Capacity")), 0), COALESCE(SUM(a.n), 0),
                   (SELECT count(*) FROM "SignUps" WHERE "SessionId" = ANY(@ids) AND "Status" = 'Waitlisted'),
                   count(*) FILTER (WHERE a.n <> s."Accepted")
            FROM "ActivitySessions" s
            CROSS JOIN LATERAL (SELECT count(*) AS n FROM "SignUps" u WHERE u."SessionId" = s."Id" AND u."Status" = 'Accepted') a
            WHERE s."Id" = ANY(@ids)
            """, connection);
        command.Parameters.AddWithValue("ids", sessionIds);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }
}
