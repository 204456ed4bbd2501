using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Tests.Integrity;

/// <summary>
/// Names the API operations (method and route template exactly as /openapi/v1.json writes them)
/// whose behaviour under simultaneous requests a race test proves. The coverage test reads these.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class RacesAttribute(params string[] operations) : Attribute
{
    public string[] Operations { get; } = operations;
}

/// <summary>One answer in a race: which request it was, its status, media type and body.</summary>
public sealed record Attempt(int Index, int Status, string? MediaType, string Body)
{
    public bool Succeeded => Status is >= 200 and < 300;

    public override string ToString() => $"#{Index} {Status} {(Body.Length > 200 ? Body[..200] + "…" : Body)}";
}

/// <summary>What N simultaneous requests got back.</summary>
public sealed class RaceResult(string operation, IReadOnlyList<Attempt> attempts)
{
    public string Operation { get; } = operation;

    public IReadOnlyList<Attempt> Attempts { get; } = attempts;

    public int Successes => Attempts.Count(a => a.Succeeded);

    public IEnumerable<Attempt> Refusals => Attempts.Where(a => !a.Succeeded);

    /// <summary>Status codes and how often, e.g. "200×1 409×19".</summary>
    public string Summary => string.Join(" ", Attempts.GroupBy(a => a.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"));

    public override string ToString() => $"{Operation}: {Summary}";
}

/// <summary>
/// Fires the same request many times at once and checks what the rules allow. Problems are collected
/// rather than thrown at the first one, so a failing test lists every broken promise with the numbers
/// observed; <see cref="AssertNoneAsync"/> ends the test.
/// </summary>
public sealed class Race(TestApp app)
{
    public const int N = 20;

    readonly List<string> problems = [];

    public IReadOnlyList<string> Problems => problems;

    readonly HashSet<string> seeded = [];

    /// <summary>
    /// Remembers violations already present before the race, left by test data written straight into the
    /// database (Hours.CreditAsync and CampaignData add ledger entries without effective credits); only
    /// violations the race adds count.
    /// </summary>
    public async Task IgnoreSeededViolationsAsync()
    {
        foreach (var violation in await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db)))
        {
            seeded.Add(violation.ToString());
        }
    }

    /// <summary>Sends <paramref name="count"/> requests released together by one barrier; every request makes its own content.</summary>
    public static async Task<RaceResult> AtOnceAsync(string operation, int count, Func<int, Task<HttpResponseMessage>> send)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = count;
        var tasks = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            if (Interlocked.Decrement(ref waiting) == 0)
            {
                allReady.SetResult();
            }
            await gate.Task;
            try
            {
                using var response = await send(i);
                var body = await response.Content.ReadAsStringAsync();
                return new Attempt(i, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
            }
            catch (Exception e)
            {
                // An exception escaping the server is as bad as a 500.
                return new Attempt(i, 599, null, e.GetType().Name + ": " + e.Message);
            }
        })).ToList();
        await allReady.Task.WaitAsync(TimeSpan.FromSeconds(30));
        gate.SetResult();
        return new RaceResult(operation, await Task.WhenAll(tasks));
    }

    /// <summary>Fires the race and checks: no 5xx, the number of successes within the bounds, every refusal a 400/404/409 problem.</summary>
    public async Task<RaceResult> RunAsync(string operation, int count, Func<int, Task<HttpResponseMessage>> send, int minSuccesses, int maxSuccesses)
    {
        var result = await AtOnceAsync(operation, count, send);
        Expect(result, minSuccesses, maxSuccesses);
        return result;
    }

    /// <summary>A one-shot state change: exactly one of the simultaneous requests succeeds.</summary>
    public Task<RaceResult> ExactlyOnceAsync(string operation, Func<int, Task<HttpResponseMessage>> send, int count = N) =>
        RunAsync(operation, count, send, 1, 1);

    public void Expect(RaceResult result, int minSuccesses, int maxSuccesses)
    {
        foreach (var failure in result.Attempts.Where(a => a.Status >= 500))
        {
            problems.Add($"{result}: server error {failure}");
        }
        if (result.Attempts.Any(a => a.Status >= 500))
        {
            // What the server said about it (the first node's log; a second node logs the same kind of failure).
            problems.AddRange(app.LogLines.Where(l => l.Contains("Exception", StringComparison.Ordinal)).Take(2).Select(l => "  log: " + l[..Math.Min(l.Length, 1500)]));
        }
        if (result.Successes < minSuccesses || result.Successes > maxSuccesses)
        {
            var allowed = minSuccesses == maxSuccesses ? $"{minSuccesses}" : $"{minSuccesses}–{maxSuccesses}";
            problems.Add($"{result}: {result.Successes} succeeded, the rule allows {allowed}");
        }
        foreach (var refusal in result.Refusals.Where(a => a.Status < 500))
        {
            if (refusal.Status is not (400 or 404 or 409) || refusal.MediaType != "application/problem+json")
            {
                problems.Add($"{result}: a refusal that is not a 400/404/409 problem: {refusal} ({refusal.MediaType})");
            }
        }
    }

    /// <summary>Records a broken promise found by a test's own check of the effect.</summary>
    public void Check(bool holds, string promise)
    {
        if (!holds)
        {
            problems.Add(promise);
        }
    }

    public void CheckEqual<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
        {
            problems.Add($"{what}: expected {expected}, found {actual}");
        }
    }

    /// <summary>Every invariant of IntegrityCheck holds in the database.</summary>
    public async Task CheckIntegrityAsync(string after)
    {
        var violations = await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db));
        foreach (var violation in violations.Where(v => !seeded.Contains(v.ToString())))
        {
            problems.Add($"after {after}: {violation}");
        }
    }

    /// <summary>The kept confirmed totals (in all and per China year) equal what the ledger's active entries add up to, counted here in C#.</summary>
    public async Task CheckTotalsAsync(string after)
    {
        foreach (var difference in await ConfirmedTotalsDifferAsync(app))
        {
            problems.Add($"after {after}: {difference}");
        }
    }

    /// <summary>Every volunteer (and year) whose kept total differs from the ledger, described; empty when they agree.</summary>
    public static Task<List<string>> ConfirmedTotalsDifferAsync(TestApp app) => app.WithDbAsync(async db =>
    {
        var entries = await Zhiyuan.Web.Hours.HourTotals.ActiveEntries(db).Select(e => new { e.VolunteerId, e.StartUtc, e.Minutes }).ToListAsync();
        var kept = await db.ConfirmedTotals.ToDictionaryAsync(t => t.VolunteerId, t => t.Minutes);
        var keptYears = await db.ConfirmedYearTotals.ToDictionaryAsync(t => (t.VolunteerId, t.Year), t => t.Minutes);
        var ledger = entries.GroupBy(e => e.VolunteerId).ToDictionary(g => g.Key, g => g.Sum(e => e.Minutes));
        var ledgerYears = entries.GroupBy(e => (e.VolunteerId, Zhiyuan.Web.Infrastructure.ChinaTime.ToChina(e.StartUtc).Year)).ToDictionary(g => g.Key, g => g.Sum(e => e.Minutes));
        var differences = new List<string>();
        foreach (var id in ledger.Keys.Union(kept.Keys).Where(id => ledger.GetValueOrDefault(id) != kept.GetValueOrDefault(id)))
        {
            differences.Add($"volunteer {id}: the ledger confirms {ledger.GetValueOrDefault(id)} minutes, the kept total is {kept.GetValueOrDefault(id)}");
        }
        foreach (var key in ledgerYears.Keys.Union(keptYears.Keys).Where(k => ledgerYears.GetValueOrDefault(k) != keptYears.GetValueOrDefault(k)))
        {
            differences.Add($"volunteer {key.VolunteerId} in {key.Item2}: the ledger confirms {ledgerYears.GetValueOrDefault(key)} minutes, the kept total is {keptYears.GetValueOrDefault(key)}");
        }
        return differences;
    });

    /// <summary>Checks the invariants one last time and fails with every problem seen.</summary>
    public async Task AssertNoneAsync()
    {
        await CheckIntegrityAsync("the test");
        await CheckTotalsAsync("the test");
        Assert.True(problems.Count == 0, $"{problems.Count} broken promise(s) under concurrency ({TestDatabase.Provider}):\n" + string.Join("\n", problems));
    }
}

/// <summary>Small helpers for race tests.</summary>
public static class RaceHelpers
{
    public static async Task<JsonElement> OkJsonAsync(this Task<HttpResponseMessage> request)
    {
        using var response = await request;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} from {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) => client.PostAsJsonAsync(url, body);

    public static Task<HttpResponseMessage> PostEmptyAsync(this HttpClient client, string url) => client.PostAsync(url, null);
}
