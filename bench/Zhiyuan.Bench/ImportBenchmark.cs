using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Volunteers;

/// <summary>
/// Imports N valid volunteer rows from a CSV file through the platform's own import (read, validate,
/// encrypt, hash, check duplicates, insert, in one transaction) on PostgreSQL, then copies the very
/// same stored rows into an identical table with PostgreSQL's COPY, the fastest way in, as the baseline.
/// </summary>
static class ImportBenchmark
{
    public static async Task RunAsync(string server, int rows)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = "zhiyuan_bench_import" }.ToString();
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await new NpgsqlCommand("DROP DATABASE IF EXISTS zhiyuan_bench_import WITH (FORCE)", admin).ExecuteNonQueryAsync();
            await new NpgsqlCommand("CREATE DATABASE zhiyuan_bench_import", admin).ExecuteNonQueryAsync();
        }

        // The test host looks for the web project's folder by this setting when no test project points to it.
        var webProject = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src/Zhiyuan.Web"));
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_ZHIYUAN_WEB", webProject);
        await using var app = new BenchApp(connectionString);
        // A first, small import compiles the queries, as a running server would have done long before.
        await ImportAsync(app, Csv(1000, firstRow: rows));
        var csv = Csv(rows);
        Console.WriteLine($"PostgreSQL import of {rows:N0} valid rows ({csv.Length / 1024.0 / 1024.0:F1} MB of CSV)");

        GC.Collect();
        var before = Process.GetCurrentProcess().WorkingSet64;
        var watch = Stopwatch.StartNew();
        var result = await ImportAsync(app, csv);
        var importSeconds = watch.Elapsed.TotalSeconds;
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        if (!result.Succeeded || result.Imported != rows)
        {
            throw new InvalidOperationException($"The import failed: {result.FileError} {string.Join("; ", result.Errors.Take(3))}");
        }

        // Baseline: the same rows (not the warm-up's), already encrypted, copied into a table with the same columns and indexes.
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await new NpgsqlCommand("""CREATE TABLE copy_baseline (LIKE "Volunteers" INCLUDING ALL)""", connection).ExecuteNonQueryAsync();
        var dump = new MemoryStream();
        await using (var reader = await connection.BeginRawBinaryCopyAsync("""COPY (SELECT * FROM "Volunteers" WHERE "Number" > 'ZY00001000') TO STDOUT (FORMAT BINARY)"""))
        {
            await reader.CopyToAsync(dump);
        }
        dump.Position = 0;
        watch.Restart();
        await using (var writer = await connection.BeginRawBinaryCopyAsync("COPY copy_baseline FROM STDIN (FORMAT BINARY)"))
        {
            await dump.CopyToAsync(writer);
        }
        var copySeconds = watch.Elapsed.TotalSeconds;

        Console.WriteLine($"  platform import   {importSeconds,7:F2} s  {rows / importSeconds,9:N0} rows/s");
        Console.WriteLine($"  COPY (baseline)   {copySeconds,7:F2} s  {rows / copySeconds,9:N0} rows/s");
        Console.WriteLine($"  import rate / COPY rate   {copySeconds / importSeconds,5:F2}   (target at least 0.33)");
        Console.WriteLine($"  working set before import {before / 1024 / 1024,5} MB, peak of the whole process {peak / 1024 / 1024,5} MB   (target under 500 MB)");
        NpgsqlConnection.ClearAllPools();
    }

    static async Task<ImportResult> ImportAsync(BenchApp app, byte[] csv)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var root = await UnitScope.WholeTreeAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>());
        return await scope.ServiceProvider.GetRequiredService<VolunteerImport>().ImportAsync(root, "441202", null, new MemoryStream(csv), "volunteers.csv");
    }

    /// <summary>Distinct people with valid resident IDs and mobile numbers, in the template's columns.</summary>
    static byte[] Csv(int rows, int firstRow = 0)
    {
        var csv = new StringBuilder("姓名,证件类型,证件号码,手机号码,所属单位代码,技能特长,服务意向,监护人姓名\n");
        string[] surnames = ["李", "王", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "梁", "罗"];
        for (var i = firstRow; i < firstRow + rows; i++)
        {
            // A birth date per block of 1,000 rows and a serial within it: every ID differs.
            var birth = new DateOnly(1960, 1, 1).AddDays(i / 1000 * 37);
            var first17 = "441202" + birth.ToString("yyyyMMdd") + (i % 1000).ToString("D3");
            var id = first17 + IdentityDocument.CheckCharacterOf(first17);
            csv.Append(surnames[i % surnames.Length]).Append("志愿").Append(i).Append(",居民身份证,").Append(id)
               .Append(",13").Append((i + 100_000_000).ToString()[..9]).Append(",,急救,生态环保,\n");
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    // Any type of the web project names its assembly; its own Program clashes with this one.
    sealed class BenchApp(string connectionString) : WebApplicationFactory<AppDbContext>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("Database:Provider", "Postgres");
            builder.UseSetting("Database:ConnectionString", connectionString);
            builder.UseSetting("Admin:Password", "Bench-admin-2019");
        }
    }
}
