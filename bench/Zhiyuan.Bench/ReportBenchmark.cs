using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Campaigns;
using Zhiyuan.Web.Data;

/// <summary>
/// Campaign reports on generated data (best the province scale): the city-wide table for the
/// busiest week of a campaign over March 2019 (<see cref="ReportCalculator.ComputeAsync"/> for the
/// root unit, i.e. every unit) and the completeness grid (<see cref="CampaignUseCases.CompletenessAsync"/>
/// as a city administrator), against a baseline measured in the same run: one hand-written SQL
/// aggregate over the same ledger rows (entries of sessions starting in the week, of activities in
/// the root's subtree, grouped by activity, with the host's name). Then the official form of a
/// 10,000-row table written to memory (<see cref="OfficialForm.Write"/>), and the process's peak
/// working set. Each run measures the three queries one after the other, so noise on this shared
/// machine falls on all of them alike.
/// </summary>
static class ReportBenchmark
{
    const string CampaignName = "报表基准：2019年3月（生成数据）";
    const int WarmUps = 3;
    const int ExportRows = 10_000;

    public const string Usage = """
        reports "<PostgreSQL connection string with Database=…>" [--runs N]
          on a database filled by generate (e.g. --scale province); the first run opens a campaign over March 2019
          and files reports for periods 1–3 (computed tables), later runs reuse it
        """;

    public static async Task RunAsync(string[] args)
    {
        if (args.Length == 0 || BenchHost.IsSqlite(args[0]))
        {
            throw new ArgumentException(Usage);
        }
        var connectionString = args[0];
        var runs = args.Length > 2 && args[1] == "--runs" ? int.Parse(args[2]) : 10;
        BenchHost.PointAtWebProject();
        await using var host = new BenchHost(connectionString);
        var services = host.Services;
        var (campaign, rootId, rootPath, period) = await PrepareAsync(services);
        await using var source = NpgsqlDataSource.Create(connectionString);
        await PrintScaleAsync(source, period);

        // A city administrator of the campaign's root unit, as the API's bearer token would make them.
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Role, Roles.CityAdmin), new Claim(UnitScope.UnitClaim, rootId.ToString())], "bench"));
        var scope = new TableScope(campaign.Id, rootPath, period.StartDate, period.EndDate, [period.Number]);

        // Each call in a scope (a DbContext) of its own, as each request gets.
        async Task<ReportTable> Table()
        {
            await using var request = services.CreateAsyncScope();
            return await request.ServiceProvider.GetRequiredService<ReportCalculator>().ComputeAsync(scope, campaign.RootUnitName, campaign.TableTitle, "", "");
        }
        async Task<CompletenessView> Grid()
        {
            await using var request = services.CreateAsyncScope();
            var grid = await request.ServiceProvider.GetRequiredService<CampaignUseCases>().CompletenessAsync(principal, campaign.Id, null);
            return grid.Value ?? throw new InvalidOperationException("The completeness grid was refused.");
        }

        GC.Collect();
        var before = Environment.WorkingSet;
        var peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, Environment.WorkingSet);
                await Task.Delay(20);
            }
        });

        ReportTable table = null!;
        CompletenessView grid = null!;
        List<BaselineRow> baseline = null!;
        List<BaselineRow> keptBaseline = null!;
        var tableTimes = new List<double>();
        var gridTimes = new List<double>();
        var baselineTimes = new List<double>();
        var keptBaselineTimes = new List<double>();
        for (var i = 0; i < WarmUps + runs; i++)
        {
            var t = await TimeAsync(async () => table = await Table());
            var g = await TimeAsync(async () => grid = await Grid());
            var b = await TimeAsync(async () => baseline = await BaselineAsync(source, scope, kept: false));
            var k = await TimeAsync(async () => keptBaseline = await BaselineAsync(source, scope, kept: true));
            if (i >= WarmUps)
            {
                tableTimes.Add(t);
                gridTimes.Add(g);
                baselineTimes.Add(b);
                keptBaselineTimes.Add(k);
            }
        }

        // The same rows: the table's totals are the baseline's (no typed-in rows in this campaign).
        var computed = table.Activities.Where(r => !r.IsTypedIn).ToList();
        var agree = computed.Sum(r => r.PersonTimes) == baseline.Sum(r => r.PersonTimes) && computed.Sum(r => r.Minutes) == baseline.Sum(r => r.Minutes)
                    && computed.Count(r => r.PersonTimes != 0 || r.Minutes != 0) == baseline.Count
                    && keptBaseline.Sum(r => r.PersonTimes) == baseline.Sum(r => r.PersonTimes) && keptBaseline.Sum(r => r.Minutes) == baseline.Sum(r => r.Minutes);

        // Export: the computed rows repeated to 10,000 (the media rows in the same proportion), then written to memory.
        var media = table.Media.Count == 0 ? [] : Enumerable.Range(0, Math.Max(1, table.Media.Count * ExportRows / Math.Max(1, table.Activities.Count)))
            .Select(i => table.Media[i % table.Media.Count]).ToList();
        var big = table with { Activities = Enumerable.Range(0, ExportRows).Select(i => table.Activities[i % table.Activities.Count]).ToList(), Media = media };
        long bytes = 0;
        var exportTimes = new List<double>();
        for (var i = 0; i < WarmUps + runs; i++)
        {
            using var output = new MemoryStream();
            var e = await TimeAsync(() =>
            {
                OfficialForm.Write(big, output);
                return Task.CompletedTask;
            });
            bytes = output.Length;
            if (i >= WarmUps)
            {
                exportTimes.Add(e);
            }
        }
        sampling.Cancel();
        await sampler;
        peak = Math.Max(peak, Environment.WorkingSet);

        var (tableMs, gridMs, baselineMs, exportMs) = (Median(tableTimes), Median(gridTimes), Median(baselineTimes), Median(exportTimes));
        Console.WriteLine($"Week {period.Number} ({period.StartDate:yyyy-MM-dd}…{period.EndDate:yyyy-MM-dd}), unit {campaign.RootUnitName} and every unit below; {runs} runs after {WarmUps} warm-ups, median / p90:");
        Console.WriteLine($"  table (ReportCalculator)        {tableMs,8:F1} / {P90(tableTimes),8:F1} ms   {table.Activities.Count:N0} activity rows, {table.Media.Count:N0} media rows, " +
                          $"person-times {table.ActivityTotal.PersonTimes:N0}, hours {Zhiyuan.Web.Hours.HourUseCases.FormatHours(table.ActivityTotal.Minutes)}, organisations {table.ActivityTotal.Organizations:N0}");
        Console.WriteLine($"  completeness grid               {gridMs,8:F1} / {P90(gridTimes),8:F1} ms   {grid.Rows.Count} units × {grid.Rates.Count} columns, reported {grid.Overall.Reported} of {grid.Overall.Expected}");
        Console.WriteLine($"  baseline (one SQL aggregate)    {baselineMs,8:F1} / {P90(baselineTimes),8:F1} ms   {baseline.Count:N0} rows; same totals as the table: {(agree ? "yes" : "NO")}");
        Console.WriteLine($"  ratio (table + grid) / baseline {(tableMs + gridMs) / baselineMs,8:F2}   (target at most 1.5; table alone {tableMs / baselineMs:F2})");
        var keptMs = Median(keptBaselineTimes);
        Console.WriteLine($"  baseline over the kept sums     {keptMs,8:F1} / {P90(keptBaselineTimes),8:F1} ms   the same statement over SessionTotals; (table + grid) / it {(tableMs + gridMs) / keptMs:F2}");
        Console.WriteLine($"  table + grid                    {tableMs + gridMs,8:F1} ms   (target under 1,000 ms)");
        Console.WriteLine($"  .xlsx of {ExportRows:N0} rows             {exportMs,8:F1} / {P90(exportTimes),8:F1} ms   {bytes:N0} bytes ({big.Media.Count:N0} media rows; target under 2,000 ms)");
        Console.WriteLine($"  working set before {before / 1024 / 1024} MB, peak while measuring {peak / 1024 / 1024} MB, process peak {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} MB (web host included)");
        if (!agree)
        {
            throw new InvalidOperationException("The table and the baseline disagree (see above).");
        }
    }

    sealed record BaselineRow(Guid ActivityId, string Title, string Host, long PersonTimes, long Minutes);

    /// <summary>
    /// The ledger aggregate with nothing around it: one statement, every row read; aggregated per
    /// activity first and then joined (the flat five-way join with GROUP BY plans worse: it sorts every activity).
    /// <paramref name="kept"/>: the same statement over the sessions' kept sums (Hours/SessionTotals.cs), which the table reads.
    /// </summary>
    static async Task<List<BaselineRow>> BaselineAsync(NpgsqlDataSource source, TableScope scope, bool kept)
    {
        var (fromUtc, toUtc) = CampaignCalendar.UtcRange(scope.From, scope.To);
        var sums = kept
            ? """
              SELECT s."ActivityId", SUM(t."PersonTimes") AS person_times, SUM(t."Minutes") AS minutes
                  FROM "SessionTotals" t
                  JOIN "ActivitySessions" s ON s."Id" = t."SessionId"
              """
            : """
              SELECT s."ActivityId", SUM(CASE WHEN e."Kind" = 'Reversal' THEN -1 ELSE 1 END) AS person_times, SUM(e."Minutes") AS minutes
                  FROM "LedgerEntries" e
                  JOIN "ActivitySessions" s ON s."Id" = e."SessionId"
              """;
        await using var command = source.CreateCommand($"""
            SELECT a."Id", a."Title", o."Name", x.person_times, x.minutes
            FROM ({sums}
                  WHERE s."StartsAtUtc" >= @from AND s."StartsAtUtc" < @to
                  GROUP BY s."ActivityId") x
            JOIN "Activities" a ON a."Id" = x."ActivityId"
            JOIN "Units" u ON u."Id" = a."UnitId"
            JOIN "Organizations" o ON o."Id" = a."HostOrganizationId"
            WHERE u."Path" LIKE @prefix AND a."Status" <> 'Draft'
            """);
        command.Parameters.Add(new NpgsqlParameter("from", NpgsqlDbType.TimestampTz) { Value = fromUtc });
        command.Parameters.Add(new NpgsqlParameter("to", NpgsqlDbType.TimestampTz) { Value = toUtc });
        command.Parameters.Add(new NpgsqlParameter("prefix", NpgsqlDbType.Text) { Value = scope.UnitPath + "%" });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<BaselineRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new BaselineRow(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4)));
        }
        return rows;
    }

    /// <summary>
    /// The benchmark's campaign over March 2019 (the generated data's busiest month), from the city
    /// with its directly reporting units, opened the first time with reports for periods 1–3 filed
    /// the way the demo data files them (computed tables; approved, returned, late, missing); and its
    /// busiest full week by sessions.
    /// </summary>
    static async Task<(CampaignView, Guid RootId, string RootPath, PeriodView)> PrepareAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var campaigns = scope.ServiceProvider.GetRequiredService<CampaignUseCases>();
        var root = await db.Units.AsNoTracking().SingleAsync(u => u.ParentId == null);
        var id = await db.Campaigns.Where(c => c.Name == CampaignName).Select(c => (Guid?)c.Id).SingleOrDefaultAsync();
        if (id is null)
        {
            var watch = Stopwatch.StartNew();
            var opened = await campaigns.OpenAsync(root.Id, CampaignName, "基准测试", new DateOnly(2019, 3, 1), new DateOnly(2019, 3, 31), DayOfWeek.Friday, 0,
                new DateOnly(2019, 4, 3), depth: 1, reminderHours: 24, "基准测试", "0758-0000000", "bench", CancellationToken.None);
            await db.SaveChangesAsync();
            var reports = await DemoData.AddReportsAsync(scope.ServiceProvider, db, opened.Id, new Random(2019), CancellationToken.None);
            await db.SaveChangesAsync();
            id = opened.Id;
            Console.WriteLine($"Opened campaign {CampaignName} ({opened.Units.Count} expected units) and filed {reports} reports with computed tables in {watch.Elapsed.TotalSeconds:F1} s");
        }
        var campaign = (await campaigns.GetAsync(id.Value))!;
        var busiest = campaign.Periods.Where(p => p.EndDate.DayNumber - p.StartDate.DayNumber == 6).MaxBy(p =>
        {
            var (from, to) = CampaignCalendar.UtcRange(p.StartDate, p.EndDate);
            return db.ActivitySessions.Count(s => s.StartsAtUtc >= from && s.StartsAtUtc < to);
        })!;
        return (campaign, root.Id, root.Path, busiest);
    }

    static async Task PrintScaleAsync(NpgsqlDataSource source, PeriodView period)
    {
        async Task<long> Scalar(string sql, params object[] values)
        {
            await using var command = source.CreateCommand(sql);
            foreach (var value in values)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }
            return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }
        var (from, to) = CampaignCalendar.UtcRange(period.StartDate, period.EndDate);
        var counts = new List<string>();
        foreach (var table in new[] { "Units", "Organizations", "Activities", "ActivitySessions", "ActivityOutcomes", "PopulationServed", "MediaLinks", "CampaignReports" })
        {
            counts.Add($"{table} {await Scalar($"SELECT count(*) FROM \"{table}\""):N0}");
        }
        foreach (var table in new[] { "Volunteers", "LedgerEntries" })
        {
            // The planner's estimate (~): counting 20 million rows exactly takes longer than the benchmark.
            counts.Add($"{table} ~{await Scalar($"SELECT reltuples::bigint FROM pg_class WHERE relname = '{table}'"):N0}");
        }
        Console.WriteLine("Data: " + string.Join(", ", counts));
        await using (var settings = source.CreateCommand(
            "SELECT version(), current_setting('jit'), current_setting('max_parallel_workers_per_gather'), current_setting('shared_buffers'), current_setting('work_mem')"))
        await using (var reader = await settings.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
            Console.WriteLine($"{reader.GetString(0).Split(" on ")[0]}: jit {reader.GetString(1)}, parallel workers per gather {reader.GetString(2)}, " +
                              $"shared_buffers {reader.GetString(3)}, work_mem {reader.GetString(4)}; load average {load} on {Environment.ProcessorCount} cores");
        }
        var sessions = await Scalar("""SELECT count(*) FROM "ActivitySessions" WHERE "StartsAtUtc" >= $1 AND "StartsAtUtc" < $2""", from, to);
        var entries = await Scalar("""SELECT count(*) FROM "LedgerEntries" e JOIN "ActivitySessions" s ON s."Id" = e."SessionId" WHERE s."StartsAtUtc" >= $1 AND s."StartsAtUtc" < $2""", from, to);
        Console.WriteLine($"The week: {sessions:N0} sessions starting in it, {entries:N0} ledger entries of theirs");
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
