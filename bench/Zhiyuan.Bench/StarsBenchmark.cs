using System.Diagnostics;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.PublicSite;
using Zhiyuan.Web.Recognition;

/// <summary>
/// The stars page and the honour roll on generated data (best the province scale), reading the kept
/// totals (Hours/ConfirmedTotals.cs), against a baseline measured in the same run: the queries they
/// ran before, which summed the ledger — every entry of every volunteer for the stars page, the
/// year's entries for the honour roll. The stars page is <see cref="StarAwardUseCases.OverviewAsync"/>
/// as an administrator of the root unit (the whole province); the honour roll is
/// <see cref="PublicSiteUseCases.HonourRollAsync"/> for the generated year with the most hours. Each
/// run measures the four one after the other, so noise on this shared machine falls on all alike.
/// Starting the platform on the database migrates it (the migration fills the totals from the ledger).
/// </summary>
static class StarsBenchmark
{
    const int WarmUps = 1;

    public const string Usage = """
        stars "<PostgreSQL connection string with Database=…>" [--runs N]
          on a database filled by generate (or a copy of one: the platform migrates it on start, which fills the totals)
        """;

    public static async Task RunAsync(string[] args)
    {
        if (args.Length == 0 || BenchHost.IsSqlite(args[0]))
        {
            throw new ArgumentException(Usage);
        }
        var connectionString = args[0];
        var runs = args.Length > 2 && args[1] == "--runs" ? int.Parse(args[2]) : 5;
        BenchHost.PointAtWebProject();
        var started = Stopwatch.StartNew();
        await using var host = new BenchHost(connectionString);
        var services = host.Services;
        Console.WriteLine($"Platform started (migrated) in {started.Elapsed.TotalSeconds:F1} s");

        Guid rootId, countyId;
        string rootPath;
        int year;
        int[] thresholds;
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var root = await db.Units.AsNoTracking().SingleAsync(u => u.ParentId == null);
            (rootId, rootPath) = (root.Id, root.Path);
            // A unit below the root with the most volunteers: its administrator's page needs each candidate's unit.
            countyId = await db.Units.Where(u => u.ParentId == root.Id).OrderByDescending(u => db.Volunteers.Count(v => v.UnitId == u.Id)).Select(u => u.Id).FirstAsync();
            year = await db.ConfirmedYearTotals.GroupBy(t => t.Year).OrderByDescending(g => g.Sum(t => (long)t.Minutes)).Select(g => g.Key).FirstAsync();
            thresholds = scope.ServiceProvider.GetRequiredService<IOptions<RecognitionOptions>>().Value.Thresholds;
        }
        await PrintScaleAsync(connectionString, year);

        static ClaimsPrincipal Administrator(string role, Guid unitId) =>
            new(new ClaimsIdentity([new Claim(ClaimTypes.Role, role), new Claim(UnitScope.UnitClaim, unitId.ToString())], "bench"));
        var principal = Administrator(Roles.CityAdmin, rootId);
        var countyAdministrator = Administrator(Roles.UnitAdmin, countyId);

        // Each call in a scope (a DbContext) of its own, as each request gets.
        async Task<StarOverview> Stars(ClaimsPrincipal administrator)
        {
            await using var request = services.CreateAsyncScope();
            return await request.ServiceProvider.GetRequiredService<StarAwardUseCases>().OverviewAsync(administrator) ?? throw new InvalidOperationException("No scope.");
        }
        async Task<HonourRoll> Roll()
        {
            await using var request = services.CreateAsyncScope();
            return await request.ServiceProvider.GetRequiredService<PublicSiteUseCases>().HonourRollAsync(year);
        }
        // The stars page's two ledger-summing queries as they were (volunteers past the first threshold, starred volunteers' minutes).
        async Task<(int Reached, long Minutes, int Starred)> StarsBaseline()
        {
            await using var request = services.CreateAsyncScope();
            var db = request.ServiceProvider.GetRequiredService<AppDbContext>();
            var confirmed = db.LedgerEntries.GroupBy(e => e.VolunteerId).Select(g => new LedgerMinutes { VolunteerId = g.Key, Minutes = g.Sum(e => e.Minutes) });
            var firstThreshold = thresholds[0] * 60;
            var reached = await (
                    from m in confirmed
                    join v in db.Volunteers on m.VolunteerId equals v.Id
                    where m.Minutes >= firstThreshold && v.Unit!.Path.StartsWith(rootPath)
                    select new { v.Id, v.Number, v.Name, UnitName = v.Unit!.Name, m.Minutes, v.StarLevel })
                .AsNoTracking().ToListAsync();
            var starred = await (
                    from v in db.Volunteers
                    where v.StarLevel > 0 && v.Unit!.Path.StartsWith(rootPath)
                    join m in confirmed on v.Id equals m.VolunteerId into minutes
                    from m in minutes.DefaultIfEmpty()
                    select new { v.Number, v.Name, UnitName = v.Unit!.Name, v.StarLevel, Minutes = m == null ? 0 : m.Minutes })
                .AsNoTracking().ToListAsync();
            return (reached.Count, reached.Sum(r => (long)r.Minutes), starred.Count);
        }
        // The honour roll's query as it was: the year's ledger summed per volunteer, the top 50, then their names.
        async Task<List<int>> RollBaseline()
        {
            await using var request = services.CreateAsyncScope();
            var db = request.ServiceProvider.GetRequiredService<AppDbContext>();
            var from = new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc) - Zhiyuan.Web.Infrastructure.ChinaTime.Offset;
            var to = from.AddYears(1);
            var totals = await db.LedgerEntries.AsNoTracking().Where(e => e.StartUtc >= from && e.StartUtc < to)
                .GroupBy(e => e.VolunteerId).Select(g => new { VolunteerId = g.Key, Minutes = g.Sum(e => e.Minutes) })
                .Where(t => t.Minutes > 0).OrderByDescending(t => t.Minutes).Take(PublicSiteUseCases.HonourRollSize).ToListAsync();
            var ids = totals.Select(t => t.VolunteerId).ToList();
            var people = await db.Volunteers.AsNoTracking().Where(v => ids.Contains(v.Id)).Select(v => new { v.Id, v.Name, Unit = v.Unit!.Name, v.StarLevel })
                .ToDictionaryAsync(v => v.Id);
            return totals.Where(t => people.ContainsKey(t.VolunteerId)).Select(t => t.Minutes).ToList();
        }

        StarOverview stars = null!, county = null!;
        HonourRoll roll = null!;
        (int Reached, long Minutes, int Starred) starsBaseline = default;
        List<int> rollBaseline = null!;
        var (starsTimes, rollTimes, starsBaseTimes, rollBaseTimes, countyTimes) = (new List<double>(), new List<double>(), new List<double>(), new List<double>(), new List<double>());
        for (var i = 0; i < WarmUps + runs; i++)
        {
            var s = await TimeAsync(async () => stars = await Stars(principal));
            var c = await TimeAsync(async () => county = await Stars(countyAdministrator));
            var r = await TimeAsync(async () => roll = await Roll());
            var sb = await TimeAsync(async () => starsBaseline = await StarsBaseline());
            var rb = await TimeAsync(async () => rollBaseline = await RollBaseline());
            if (i >= WarmUps)
            {
                starsTimes.Add(s);
                countyTimes.Add(c);
                rollTimes.Add(r);
                starsBaseTimes.Add(sb);
                rollBaseTimes.Add(rb);
            }
            Console.WriteLine($"  run {i + 1}{(i < WarmUps ? " (warm-up)" : "")}: stars {s:F1} ms, one county's {c:F1} ms, baseline {sb:F1} ms; honour roll {r:F1} ms, baseline {rb:F1} ms");
        }

        // The same answers: the eligible volunteers are among those past the first threshold, most hours first; the roll's hours are the baseline's.
        var eligibleFromBaseline = stars.EligibleCount <= starsBaseline.Reached && stars.Eligible.Zip(stars.Eligible.Skip(1)).All(p => p.First.Minutes >= p.Second.Minutes);
        var rollHours = roll.Lines.Select(l => l.Hours).ToList();
        var rollAgree = rollHours.SequenceEqual(rollBaseline.Select(m => HourUseCases.FormatHours(m)));
        Console.WriteLine($"Whole province (root unit), {runs} runs after {WarmUps} warm-up, median / p90:");
        Console.WriteLine($"  stars page (kept totals)           {Median(starsTimes),9:F1} / {P90(starsTimes),9:F1} ms   {stars.EligibleCount:N0} eligible ({stars.Eligible.Count} on the page), {stars.Flagged.Count:N0} flagged, {stars.Awards.Count:N0} awards");
        Console.WriteLine($"  one county's stars page             {Median(countyTimes),9:F1} / {P90(countyTimes),9:F1} ms   {county.EligibleCount:N0} eligible");
        Console.WriteLine($"  baseline (ledger summed)           {Median(starsBaseTimes),9:F1} / {P90(starsBaseTimes),9:F1} ms   {starsBaseline.Reached:N0} past {thresholds[0]} h, {starsBaseline.Starred:N0} starred");
        Console.WriteLine($"  ratio                              {Median(starsTimes) / Median(starsBaseTimes),9:F3}   (target: stars page under 200 ms)");
        Console.WriteLine($"  honour roll {year} (kept totals)     {Median(rollTimes),9:F1} / {P90(rollTimes),9:F1} ms   {roll.Lines.Count} lines, top {rollHours.FirstOrDefault()} h");
        Console.WriteLine($"  baseline (year's ledger summed)    {Median(rollBaseTimes),9:F1} / {P90(rollBaseTimes),9:F1} ms   same hours in the same order: {(rollAgree ? "yes" : "NO")}");
        Console.WriteLine($"  ratio                              {Median(rollTimes) / Median(rollBaseTimes),9:F3}");
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        Console.WriteLine($"  load average at the end {load} on {Environment.ProcessorCount} cores");
        if (!rollAgree || !eligibleFromBaseline)
        {
            throw new InvalidOperationException("The kept totals and the ledger disagree (see above).");
        }
    }

    /// <summary>A class with settable members rather than a positional record, so that EF Core can join on it (as the old query had it).</summary>
    sealed class LedgerMinutes
    {
        public Guid VolunteerId { get; init; }

        public int Minutes { get; init; }
    }

    static async Task PrintScaleAsync(string connectionString, int year)
    {
        await using var source = NpgsqlDataSource.Create(connectionString);
        async Task<long> Scalar(string sql)
        {
            await using var command = source.CreateCommand(sql);
            return Convert.ToInt64(await command.ExecuteScalarAsync());
        }
        var volunteers = await Scalar("""SELECT reltuples::bigint FROM pg_class WHERE relname = 'Volunteers'""");
        var ledger = await Scalar("""SELECT reltuples::bigint FROM pg_class WHERE relname = 'LedgerEntries'""");
        var totals = await Scalar("""SELECT count(*) FROM "ConfirmedTotals" """);
        var yearTotals = await Scalar("""SELECT count(*) FROM "ConfirmedYearTotals" """);
        var inYear = await Scalar($"""SELECT count(*) FROM "ConfirmedYearTotals" WHERE "Year" = {year}""");
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        Console.WriteLine($"Data: Volunteers ~{volunteers:N0}, LedgerEntries ~{ledger:N0}; ConfirmedTotals {totals:N0}, ConfirmedYearTotals {yearTotals:N0} ({inYear:N0} in {year}); " +
                          $"load average {load} on {Environment.ProcessorCount} cores");
    }

    static async Task<double> TimeAsync(Func<Task> work)
    {
        var started = Stopwatch.GetTimestamp();
        await work();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    static double Median(List<double> times) => times.Order().ElementAt(times.Count / 2);

    static double P90(List<double> times) => times.Order().ElementAt(Math.Min(times.Count - 1, (int)Math.Ceiling(0.9 * times.Count) - 1));
}
