using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
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
    const int Patrollers = 3;
    const int PastRounds = 24;

    /// <summary>Kinds of write on a campaign report, each answered with the report as it then stands.</summary>
    static readonly string[] ReportKinds = ["submit", "return", "approve", "reopen"];

    /// <summary>
    /// One write as a client saw it: Status null when no answer came (the app died under it). Session is
    /// the session, the patrol round or the campaign; Volunteer the volunteer's number or the report ("unit/period").
    /// </summary>
    sealed record Write(int Client, string Kind, Guid Session, string Volunteer, HttpStatusCode? Status, int Confirmed, JsonElement? Answer);

    readonly ConcurrentQueue<Write> writes = new();

    /// <summary>Rounds known to be finished (answered 200, or refused as finished already): not tried again.</summary>
    readonly ConcurrentDictionary<Guid, bool> roundsDone = new();

    /// <summary>Each report's status as its (only) stream last learnt it; "?" when unknown.</summary>
    readonly ConcurrentDictionary<string, string> reportStates = new();

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
            log.WriteLine($"set up {Volunteers} volunteers, 3 future sessions, 2 sessions ending at {setup.EndingAt:HH:mm:ss} UTC, " +
                          $"a patrol team of {Patrollers} with {setup.Rounds.Count} rounds ({PastRounds} over, 2 ending by {setup.EndingAt:HH:mm:ss} UTC), " +
                          $"a campaign with {setup.Reports.Count} reports in play, at {clock.Elapsed.TotalSeconds:0.0} s");

            for (var round = 2; round <= 10; round++)
            {
                // The last rounds run after the ending sessions are over, so that hour confirmations really write.
                if (round >= 8 && DateTimeOffset.UtcNow < setup.EndingAt.AddSeconds(2))
                {
                    await Task.Delay(setup.EndingAt.AddSeconds(2) - DateTimeOffset.UtcNow);
                }
                await WarmUpAsync(setup);
                using var stop = new CancellationTokenSource();
                var clients = Enumerable.Range(0, Volunteers).Select(i => VolunteerStreamAsync(i, setup, stop.Token))
                    .Append(LeaderStreamAsync(Volunteers, setup, stop.Token)).Append(LeaderStreamAsync(Volunteers + 1, setup, stop.Token))
                    .Append(AdminStreamAsync(Volunteers + 2, 0, setup, stop.Token)).Append(AdminStreamAsync(Volunteers + 3, 1, setup, stop.Token)).ToList();
                await Task.Delay(Random.Shared.Next(1500, 4000));
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

    /// <summary>
    /// One read of a report and of a round after each restart, so that the fresh process has compiled
    /// their queries before the streams begin: on a busy machine a cold report or round would
    /// otherwise rarely be answered before the next kill.
    /// </summary>
    async Task WarmUpAsync(Setup setup)
    {
        var report = setup.Reports[Random.Shared.Next(setup.Reports.Count)];
        await OkAsync(await SendAsync(HttpMethod.Get, $"/api/campaigns/{setup.CampaignId}/reports/{report.UnitCode}/{report.Period}", setup.AdminToken));
        await OkAsync(await SendAsync(HttpMethod.Get, $"/api/patrols/rounds/{setup.Rounds[0].Id}", setup.AdminToken));
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

    /// <summary>A patrol round and the minutes each team member is credited when it is finished.</summary>
    sealed record Round(Guid Id, int Minutes);

    /// <summary>One unit's report for one period (0: the final summary); Stream is the one admin stream that changes it.</summary>
    sealed record Report(string UnitCode, int Period, int Stream)
    {
        public string Key => $"{UnitCode}/{Period}";
    }

    sealed record Setup(string AdminToken, List<(string Number, string Token)> People, List<Guid> Future, List<Guid> Ending, DateTimeOffset EndingAt,
        List<string> Patrollers, List<Round> Rounds, Guid CampaignId, List<Report> Reports);

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
        var (team, patrollers, rounds) = await PatrolAsync(admin, host);
        var (campaign, reports) = await CampaignAsync(admin);
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
        // Two rounds ending within the test, one after the other: finishing is refused until each is over.
        rounds.Add(await RoundAsync(admin, team, endingAt.AddSeconds(-130), endingAt.AddSeconds(-65)));
        rounds.Add(await RoundAsync(admin, team, endingAt.AddSeconds(-65), endingAt));
        return new Setup(admin, people, future, ending, endingAt, patrollers, rounds, campaign, reports);
    }

    /// <summary>
    /// A patrol team of the organisation's members (volunteers of their own, so that their rounds'
    /// hours overlap nothing else) with rounds that are already over, a few hours apart.
    /// </summary>
    async Task<(Guid Team, List<string> Members, List<Round> Rounds)> PatrolAsync(string admin, Guid host)
    {
        var members = new List<string>();
        for (var i = 0; i < Patrollers; i++)
        {
            var serial = 760 + i;
            var registered = await OkAsync(await SendAsync(HttpMethod.Post, "/api/volunteers", null, People.Registration("巡访员" + serial,
                People.ResidentId(new DateOnly(1990, 1 + serial % 12, 1 + serial % 28), serial % 1000), "139" + serial.ToString("D8"), "441202")));
            var number = registered.GetProperty("number").GetString()!;
            await OkAsync(await SendAsync(HttpMethod.Post, $"/api/organizations/{host}/applications", await TokenAsync(number, People.Password)));
            await OkAsync(await SendAsync(HttpMethod.Post, $"/api/organizations/{host}/members/{number}/decision", admin, new { approve = true }));
            members.Add(number);
        }
        var team = (await OkAsync(await SendAsync(HttpMethod.Post, "/api/patrols/teams", admin,
            new { organizationId = host, name = "端州巡访一队", isRiverTeam = false, volunteerNumbers = members }))).GetProperty("id").GetGuid();
        var first = DateTimeOffset.UtcNow.AddDays(-5);
        var rounds = new List<Round>();
        for (var k = 0; k < PastRounds; k++)
        {
            rounds.Add(await RoundAsync(admin, team, first.AddHours(3 * k), first.AddHours(3 * k + 2)));
        }
        return (team, members, rounds);
    }

    async Task<Round> RoundAsync(string admin, Guid team, DateTimeOffset start, DateTimeOffset end)
    {
        var round = await OkAsync(await SendAsync(HttpMethod.Post, "/api/patrols/rounds", admin,
            new { teamId = team, mode = "Open", area = "端州区天宁北路及周边公交站", startsAt = start, endsAt = end }));
        return new Round(round.GetProperty("id").GetGuid(), (int)Math.Floor((end - start).TotalMinutes));
    }

    /// <summary>
    /// A campaign over these weeks, opened by the city administrator (so that its tables hold the
    /// hours confirmed during the test), and the reports the admin streams move: four districts'
    /// first and current weeks and final summaries, each district's reports changed by one stream.
    /// </summary>
    async Task<(Guid Campaign, List<Report> Reports)> CampaignAsync(string admin)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow.Add(China));
        var campaign = await OkAsync(await SendAsync(HttpMethod.Post, "/api/campaigns", admin, new
        {
            name = "文明创建志愿服务月", theme = "志愿肇庆 美好生活", startDate = today.AddDays(-13).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            endDate = today.AddDays(14).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), dueDay = "Friday", dueHour = 0, reportingDepth = 1,
            contactName = "曾繁智", contactPhone = "0758-2323563",
        }));
        static DateOnly Date(JsonElement e) => DateOnly.ParseExact(e.GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        var current = campaign.GetProperty("periods").EnumerateArray()
            .First(p => Date(p.GetProperty("startDate")) <= today && today <= Date(p.GetProperty("endDate"))).GetProperty("number").GetInt32();
        string[] units = ["441202", "441203", "441204", "441223"];
        var reports = units.SelectMany((unit, i) => new[] { 1, current, 0 }.Distinct().Select(period => new Report(unit, period, i % 2))).ToList();
        return (campaign.GetProperty("id").GetGuid(), reports);
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

    /// <summary>
    /// The city administrator finishing patrol rounds (at most three tries per stretch between kills,
    /// so that the rounds last the whole test) and moving the reports this stream owns along:
    /// a draft or returned report is submitted, a submitted one returned or approved, an approved one reopened.
    /// </summary>
    async Task AdminStreamAsync(int client, int stream, Setup setup, CancellationToken stop)
    {
        var finishes = 0;
        var reports = setup.Reports.Where(r => r.Stream == stream).ToList();
        while (!stop.IsCancellationRequested)
        {
            if (finishes < 3 && Random.Shared.Next(3) == 0 && setup.Rounds.Where(r => !roundsDone.ContainsKey(r.Id)).ToList() is { Count: > 0 } open)
            {
                finishes++;
                var round = open[Random.Shared.Next(open.Count)];
                var finish = await RecordAsync(client, "finish", round.Id, "", () => SendAsync(HttpMethod.Post, $"/api/patrols/rounds/{round.Id}/finish", setup.AdminToken, new { }));
                if (finish.Status == HttpStatusCode.OK || (finish.Status == HttpStatusCode.BadRequest && finish.Answer is { } refusal
                        && refusal.TryGetProperty("errors", out var errors) && errors.TryGetProperty("status", out _)))
                {
                    roundsDone[round.Id] = true;
                }
                continue;
            }
            var report = reports[Random.Shared.Next(reports.Count)];
            var path = $"/api/campaigns/{setup.CampaignId}/reports/{report.UnitCode}/{report.Period}";
            var state = reportStates.GetValueOrDefault(report.Key, "Draft");
            if (state == "?")
            {
                // The last change's fate is unknown: read the report first (a read, not counted as a write).
                try
                {
                    using var read = await SendAsync(HttpMethod.Get, path, setup.AdminToken);
                    if (read.StatusCode != HttpStatusCode.OK)
                    {
                        await Task.Delay(50);
                        continue;
                    }
                    state = (await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString() ?? "Draft";
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or JsonException)
                {
                    await Task.Delay(50);
                    continue;
                }
            }
            var (kind, body) = state switch
            {
                "Submitted" => Random.Shared.Next(5) < 3 ? ("return", (object)new { comment = "请补充线下活动的人次和时数" }) : ("approve", (object)new { comment = "" }),
                "Approved" => ("reopen", (object)new { comment = "市里核对发现时数有误，请重新填报" }),
                _ => ("submit", (object)new { contactName = "李干事", contactPhone = "0758-2230000" }),
            };
            var write = await RecordAsync(client, kind, setup.CampaignId, report.Key, () => SendAsync(HttpMethod.Post, $"{path}/{kind}", setup.AdminToken, body));
            reportStates[report.Key] = write.Status == HttpStatusCode.OK && write.Answer is { } answer ? answer.GetProperty("status").GetString()! : "?";
            await Task.Delay(Random.Shared.Next(50, 150));
        }
    }

    async Task<Write> RecordAsync(int client, string kind, Guid session, string volunteer, Func<Task<HttpResponseMessage>> send)
    {
        Write write;
        try
        {
            using var response = await send();
            // The whole body is read before the write counts as answered: an answer cut off by the kill is no answer.
            var text = await response.Content.ReadAsStringAsync();
            JsonElement? answer = null;
            try
            {
                using var document = JsonDocument.Parse(text);
                answer = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                // Not JSON (an empty or plain-text answer): the status still counts.
            }
            var confirmed = kind == "confirm" && response.StatusCode == HttpStatusCode.OK && answer is { } a && a.TryGetProperty("confirmed", out var c) ? c.GetInt32() : 0;
            write = new Write(client, kind, session, volunteer, response.StatusCode, confirmed, answer);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            write = new Write(client, kind, session, volunteer, null, 0, null);
            await Task.Delay(50);
        }
        writes.Enqueue(write);
        return write;
    }

    /// <summary>
    /// Every write answered 200 and not followed by one whose fate is unknown is still in the database:
    /// the last answered sign-up holds a live place, the last answered cancellation is cancelled, every
    /// answered roster tick is there, and answered confirmations' credits are in the ledger. A round
    /// whose finish was answered 200 is finished, its activity too, with every member's hours in the
    /// ledger; and every round is finished with all its hours or not at all. A report whose last
    /// change was answered 200 is exactly as that answer showed it: status, version and, when
    /// submitted or approved, the same frozen table frozen at the same moment.
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
        lost.AddRange(await FindLostRoundsAsync(connectionString, setup));
        lost.AddRange(await FindLostReportsAsync(connectionString, setup));
        return lost;
    }

    async Task<List<string>> FindLostRoundsAsync(string connectionString, Setup setup)
    {
        var lost = new List<string>();
        var rounds = (await QueryAsync(connectionString, """
                SELECT r."Id", r."SessionId", r."FinishedAtUtc", a."Status" FROM "PatrolRounds" r JOIN "Activities" a ON a."Id" = r."ActivityId"
                """)).ToDictionary(r => Guid.Parse(r[0]!.ToString()!), r => (Session: Guid.Parse(r[1]!.ToString()!), Finished: r[2] is not null, ActivityStatus: (string)r[3]!));
        var credits = (await QueryAsync(connectionString, """
                SELECT e."SessionId", v."Number", e."Minutes" FROM "LedgerEntries" e JOIN "Volunteers" v ON v."Id" = e."VolunteerId" WHERE e."Kind" = 'Confirmed'
                """)).ToLookup(r => Guid.Parse(r[0]!.ToString()!), r => (Number: (string)r[1]!, Minutes: Convert.ToInt32(r[2], CultureInfo.InvariantCulture)));
        var finished = 0;
        foreach (var round in setup.Rounds)
        {
            if (!rounds.TryGetValue(round.Id, out var row))
            {
                lost.Add($"round {round.Id} is missing");
                continue;
            }
            var credited = credits[row.Session].ToList();
            var full = setup.Patrollers.Count(p => credited.Any(c => c.Number == p && c.Minutes == round.Minutes));
            finished += row.Finished ? 1 : 0;
            if (writes.Any(w => w.Kind == "finish" && w.Session == round.Id && w.Status == HttpStatusCode.OK)
                && (!row.Finished || row.ActivityStatus != "Finished" || full != setup.Patrollers.Count))
            {
                lost.Add($"finish of round {round.Id} was answered 200 but the round is {(row.Finished ? "" : "not ")}finished, its activity {row.ActivityStatus}, " +
                         $"{full} of {setup.Patrollers.Count} members credited {round.Minutes} minutes");
            }
            // All or nothing, answered or not: a finished round has every member's hours, an unfinished one none.
            if (row.Finished ? full != setup.Patrollers.Count || credited.Count != setup.Patrollers.Count : credited.Count != 0)
            {
                lost.Add($"round {round.Id} is half finished: finished {row.Finished}, activity {row.ActivityStatus}, credits {string.Join(", ", credited.Select(c => $"{c.Number} {c.Minutes} min"))}");
            }
        }
        log.WriteLine($"rounds finished: {finished} of {setup.Rounds.Count}");
        return lost;
    }

    async Task<List<string>> FindLostReportsAsync(string connectionString, Setup setup)
    {
        var lost = new List<string>();
        var reports = (await QueryAsync(connectionString, """
                SELECT u."Code", r."PeriodNumber", r."Status", r."Version", r."FrozenTable", r."FrozenAtUtc", r."CampaignId"
                FROM "CampaignReports" r JOIN "Units" u ON u."Id" = r."UnitId"
                """))
            .Where(r => Guid.Parse(r[6]!.ToString()!) == setup.CampaignId)
            .ToDictionary(r => $"{r[0]}/{Convert.ToInt32(r[1], CultureInfo.InvariantCulture)}",
                r => (Status: (string)r[2]!, Version: Convert.ToInt32(r[3], CultureInfo.InvariantCulture), Frozen: r[4] as string, FrozenAt: r[5] is null ? (DateTime?)null : ToUtc(r[5]!)));
        foreach (var report in setup.Reports)
        {
            var sequence = writes.Where(w => ReportKinds.Contains(w.Kind) && w.Volunteer == report.Key)
                .Where(w => w.Status != HttpStatusCode.BadRequest && w.Status != HttpStatusCode.Conflict && w.Status != HttpStatusCode.NotFound).ToList();
            if (sequence.Count == 0 || sequence[^1].Status != HttpStatusCode.OK || sequence[^1].Answer is not { } answer)
            {
                continue; // nothing answered, or the last change's fate is unknown
            }
            var last = sequence[^1];
            var status = answer.GetProperty("status").GetString()!;
            var version = answer.GetProperty("version").GetInt32();
            if (!reports.TryGetValue(report.Key, out var row))
            {
                lost.Add($"{last.Kind} of report {report.Key} was answered 200 ({status}, version {version}) but the report is missing");
                continue;
            }
            if (row.Status != status || row.Version != version)
            {
                lost.Add($"{last.Kind} of report {report.Key} was answered 200 ({status}, version {version}) but the report is {row.Status}, version {row.Version}");
                continue;
            }
            if (status is "Submitted" or "Approved")
            {
                var frozenAt = answer.GetProperty("frozenAtUtc").GetDateTime();
                if (row.Frozen is null || row.FrozenAt is null)
                {
                    lost.Add($"report {report.Key} was answered {status} but its frozen table is gone");
                }
                else if (Math.Abs((row.FrozenAt.Value - DateTime.SpecifyKind(frozenAt, DateTimeKind.Utc)).TotalMilliseconds) > 1)
                {
                    lost.Add($"report {report.Key} was answered {status} frozen at {frozenAt:O}, but its table was frozen at {row.FrozenAt:O}");
                }
                else
                {
                    using var stored = JsonDocument.Parse(row.Frozen);
                    if (!JsonElement.DeepEquals(stored.RootElement, answer.GetProperty("table")))
                    {
                        lost.Add($"report {report.Key} was answered {status} with table {answer.GetProperty("table")} but holds {row.Frozen}");
                    }
                }
            }
        }
        log.WriteLine("reports: " + string.Join(", ", setup.Reports.Select(r => $"{r.Key} {(reports.TryGetValue(r.Key, out var row) ? $"{row.Status} v{row.Version}" : "none")}")));
        return lost;
    }

    static DateTime ToUtc(object value) => value switch
    {
        DateTime time => DateTime.SpecifyKind(time, DateTimeKind.Utc),
        DateTimeOffset time => time.UtcDateTime,
        string text => DateTime.SpecifyKind(DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), DateTimeKind.Utc),
        _ => throw new InvalidOperationException($"not a time: {value}"),
    };

    /// <summary>Every row of the query, NULLs as null.</summary>
    static async Task<List<object?[]>> QueryAsync(string connectionString, string sql)
    {
        var rows = new List<object?[]>();
        await using var connection = Connect(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
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
