using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Units;

// Two benchmarks, each against a baseline measured in the same run (figures in docs/performance.md).
//
// Subtree reads: every scoped query starts with "the units under this administrator's unit".
// Measures the materialised-path query the platform uses against a recursive CTE over parent ids.
//   dotnet run -c Release --project bench/Zhiyuan.Bench                     (SQLite)
//   dotnet run -c Release --project bench/Zhiyuan.Bench -- "Host=…;Username=…"  (PostgreSQL)
//
// Volunteer import: 100,000 rows through the platform's import against PostgreSQL's own COPY.
//   dotnet run -c Release --project bench/Zhiyuan.Bench -- import "Host=…;Username=…" [rows]
//
// Synthetic data: a whole city's (or province's) volunteers, organisations, activities and hours.
//   dotnet run -c Release --project bench/Zhiyuan.Bench -- generate "Host=…;Database=…" [--scale small|city|province] [--seed N] [--recreate]
//
// Sign-up storm: 20,000 sign-ups over HTTP from 64 clients against a plain Npgsql loop.
//   dotnet run -c Release --project bench/Zhiyuan.Bench -- signups "Host=…;Database=…" [--existing | generator options]
//
// Campaign reports: the city-wide weekly table and the completeness grid on generated data against one SQL aggregate; a 10,000-row .xlsx.
//   dotnet run -c Release --project bench/Zhiyuan.Bench -- reports "Host=…;Database=…" [--runs N]
//
// Public pages: 64 anonymous clients on the public pages (output cache on, then off) against Kestrel serving static files of the same sizes.
//   dotnet run -c Release --project bench/Zhiyuan.Bench -- public "Host=…;Database=…" [--seconds N] [--only cached|uncached] [--light]
// Stars page and honour roll: read from the kept totals against the ledger-summing queries they replaced.
//   dotnet run -c Release --project bench/Zhiyuan.Bench -- stars "Host=…;Database=…" [--runs N]

if (args.FirstOrDefault() == "import")
{
    await ImportBenchmark.RunAsync(args[1], args.Length > 2 ? int.Parse(args[2]) : 100_000);
    return;
}
if (args.FirstOrDefault() == "generate")
{
    await SyntheticData.RunAsync(SyntheticData.Parse(args[1..]));
    return;
}
if (args.FirstOrDefault() == "signups")
{
    await SignUpStorm.RunAsync(args[1..]);
    return;
}
if (args.FirstOrDefault() == "public")
{
    await PublicPagesBenchmark.RunAsync(args[1..]);
    return;
}
if (args.FirstOrDefault() == "stars")
{
    await StarsBenchmark.RunAsync(args[1..]);
    return;
}
if (args.FirstOrDefault() == "reports")
{
    await ReportBenchmark.RunAsync(args[1..]);
    return;
}

var postgres = args.FirstOrDefault();
var (db, cleanup) = Open(postgres);
await using (db)
{
    await db.Database.EnsureDeletedAsync();
    await db.Database.MigrateAsync();
    var total = await SeedTreeAsync(db);
    Console.WriteLine($"{(postgres is null ? "SQLite" : "PostgreSQL")}: {total:N0} units; 端州区 holds about a tenth of them.");

    var duanzhou = await db.Units.AsNoTracking().SingleAsync(u => u.Code == "441202");
    var scope = new UnitScope(duanzhou.Id, duanzhou.Path);

    async Task<int> ByPath() => (await scope.Filter(db.Units.AsNoTracking()).Select(u => u.Id).ToListAsync()).Count;
    var recursive = postgres is null
        ? """WITH RECURSIVE t(Id) AS (SELECT Id FROM Units WHERE Id = {0} UNION ALL SELECT u.Id FROM Units u JOIN t ON u.ParentId = t.Id) SELECT Id AS "Value" FROM t"""
        : """WITH RECURSIVE t("Id") AS (SELECT "Id" FROM "Units" WHERE "Id" = {0} UNION ALL SELECT u."Id" FROM "Units" u JOIN t ON u."ParentId" = t."Id") SELECT "Id" AS "Value" FROM t""";
    async Task<int> ByRecursiveCte() => (await db.Database.SqlQueryRaw<Guid>(recursive, duanzhou.Id).ToListAsync()).Count;

    var pathCount = await ByPath();
    var cteCount = await ByRecursiveCte();
    if (pathCount != cteCount)
    {
        throw new InvalidOperationException($"The two queries disagree: {pathCount} vs {cteCount}.");
    }
    var pathMs = await MedianMillisecondsAsync(ByPath);
    var cteMs = await MedianMillisecondsAsync(ByRecursiveCte);
    Console.WriteLine($"subtree of 端州区 ({pathCount:N0} units), median of 30 runs:");
    Console.WriteLine($"  materialised path (LIKE prefix%)  {pathMs,8:F2} ms");
    Console.WriteLine($"  recursive CTE over ParentId (baseline) {cteMs,8:F2} ms");
    Console.WriteLine($"  ratio path / baseline             {pathMs / cteMs,8:F2}");
    await db.Database.EnsureDeletedAsync();
}
cleanup();

static async Task<double> MedianMillisecondsAsync(Func<Task<int>> query)
{
    for (var i = 0; i < 5; i++)
    {
        await query();
    }
    var times = new List<double>();
    for (var i = 0; i < 30; i++)
    {
        var watch = Stopwatch.StartNew();
        await query();
        times.Add(watch.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    return times[times.Count / 2];
}

// A tree the size of a whole city's reporting network: the Zhaoqing seed, then 60 towns under each
// county-level unit and 50 communities under each town (about 30,000 units).
static async Task<int> SeedTreeAsync(AppDbContext db)
{
    await ZhaoqingUnits.SeedAsync(db);
    var counties = await db.Units.Where(u => u.Depth == 1 && u.Code.StartsWith("4412")).ToListAsync();
    foreach (var county in counties)
    {
        for (var t = 1; t <= 60; t++)
        {
            var town = Child(county, $"{county.Code}{t:000}", UnitType.Town);
            db.Units.Add(town);
            for (var c = 1; c <= 50; c++)
            {
                db.Units.Add(Child(town, $"{town.Code}{c:000}", UnitType.Community));
            }
        }
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
    }
    return await db.Units.CountAsync();

    static Unit Child(Unit parent, string code, UnitType type)
    {
        var unit = new Unit { Code = code, Name = code, Type = type, ParentId = parent.Id, Depth = parent.Depth + 1 };
        unit.Path = Unit.PathOf(parent, unit.Id);
        return unit;
    }
}

static (AppDbContext, Action) Open(string? postgres)
{
    if (postgres is not null)
    {
        var connection = new NpgsqlConnectionStringBuilder(postgres) { Database = "zhiyuan_bench" }.ToString();
        return (new PostgresAppDbContext(new DbContextOptionsBuilder<PostgresAppDbContext>().UseNpgsql(connection).Options), () => { });
    }
    var file = Path.Combine(Path.GetTempPath(), "zhiyuan-bench.db");
    return (new SqliteAppDbContext(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite($"Data Source={file}").Options),
        () => { SqliteConnection.ClearAllPools(); File.Delete(file); });
}
