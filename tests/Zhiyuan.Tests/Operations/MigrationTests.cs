using System.Data.Common;
using System.Diagnostics;
using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Tests.Operations;

/// <summary>Start-up migration never waits without end: not on a lock left by a killed process, not on a neighbour node.</summary>
public sealed class MigrationTests
{
    [Fact]
    public async Task AStaleSqliteMigrationLockLeftByAKilledProcessDoesNotStopStartUp()
    {
        // Always SQLite: the stale row is SQLite's problem (PostgreSQL's lock dies with the connection).
        var file = Path.Combine(Path.GetTempPath(), "zhiyuan-tests", Guid.NewGuid().ToString("N") + ".db");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await using (var connection = new SqliteConnection($"Data Source={file}"))
        {
            // What EF 10 leaves behind when the migrating process is killed: its lock table with its row.
            await connection.OpenAsync();
            await ExecuteAsync(connection, """
                CREATE TABLE "__EFMigrationsLock" ("Id" INTEGER NOT NULL CONSTRAINT "PK___EFMigrationsLock" PRIMARY KEY, "Timestamp" TEXT NOT NULL);
                INSERT INTO "__EFMigrationsLock" ("Id", "Timestamp") VALUES (1, '2026-01-01 00:00:00+00:00');
                """);
        }
        var app = new TestApp();
        app.Settings["Database:Provider"] = "Sqlite";
        app.Settings["Database:ConnectionString"] = $"Data Source={file}";
        try
        {
            var started = Task.Run(async () => (await app.CreateClient().GetAsync("/health")).StatusCode);
            // Without the fix EF waits for the row to go away for ever; a minute is far more than enough.
            Assert.True(await Task.WhenAny(started, Task.Delay(TimeSpan.FromSeconds(60))) == started, "start-up still waits for the stale migration lock");
            Assert.Equal(HttpStatusCode.OK, await started);

            var (history, expected, locks) = await app.WithDbAsync(async db => (
                await CountsAsync(db, """SELECT "MigrationId", COUNT(*) FROM "__EFMigrationsHistory" GROUP BY "MigrationId" """),
                db.Database.GetMigrations().ToList(),
                await CountsAsync(db, """SELECT 'rows', COUNT(*) FROM "__EFMigrationsLock" """)));
            Assert.Equal(expected.Order(), history.Keys.Order());
            Assert.Equal(0, locks["rows"]);
        }
        finally
        {
            await app.DisposeAsync();
            SqliteConnection.ClearAllPools();
            foreach (var path in new[] { file, file + "-wal", file + "-shm", file + ".migrate-lock" })
            {
                File.Delete(path);
            }
        }
    }

    [Fact]
    public async Task ThreeNodesStartingAtOnceOnAFreshDatabaseMigrateItExactlyOnce()
    {
        using var database = new TestDatabase();
        var nodes = Enumerable.Range(0, 3).Select(_ => new TestApp(database)).ToList();
        try
        {
            var clock = Stopwatch.StartNew();
            var answers = await Task.WhenAll(nodes.Select(node => Task.Run(async () => (await node.CreateClient().GetAsync("/health")).StatusCode)));
            Assert.All(answers, status => Assert.Equal(HttpStatusCode.OK, status));

            var (history, expected) = await nodes[0].WithDbAsync(async db => (
                await CountsAsync(db, """SELECT "MigrationId", COUNT(*) FROM "__EFMigrationsHistory" GROUP BY "MigrationId" """),
                db.Database.GetMigrations().ToList()));
            Assert.Equal(expected.Order(), history.Keys.Order());
            Assert.All(history, migration => Assert.Equal(1, migration.Value));
            Console.WriteLine($"3 nodes started together on a fresh {TestDatabase.Provider} database in {clock.Elapsed.TotalSeconds:0.0} s; {history.Count} migrations applied once each");
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ANodeThatWaitsTooLongForAnotherNodesMigrationEndsStartUpWithOneSentence()
    {
        using var database = new TestDatabase();
        var environment = AppProcess.Environment(TestDatabase.Provider.ToString(), database.ConnectionString);
        environment["Database__MigrationLockWaitSeconds"] = "3";

        // A live migrator elsewhere, holding what EF's migrator takes.
        await using var migrator = await HoldMigrationLockAsync(database.ConnectionString);
        var clock = Stopwatch.StartNew();
        var run = await AppProcess.RunAsync(["--urls", "http://127.0.0.1:0"], environment, TimeSpan.FromSeconds(60));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("migrating", run.Error);
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("Exception", run.Error + run.Output);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(45));
    }

    /// <summary>What a starting node holds: on SQLite the file lock next to the database; on PostgreSQL the start-up advisory lock.</summary>
    static async Task<IAsyncDisposable> HoldMigrationLockAsync(string connectionString)
    {
        if (TestDatabase.Provider == DatabaseProvider.Sqlite)
        {
            var file = new SqliteConnectionStringBuilder(connectionString).DataSource;
            return new FileStream(file + ".migrate-lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({0x5A68697975616E})");
        return connection;
    }

    static async Task ExecuteAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    static async Task<Dictionary<string, long>> CountsAsync(AppDbContext db, string sql)
    {
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await using var reader = await command.ExecuteReaderAsync();
            var counts = new Dictionary<string, long>();
            while (await reader.ReadAsync())
            {
                counts[reader.GetString(0)] = Convert.ToInt64(reader.GetValue(1));
            }
            return counts;
        }
        finally
        {
            await connection.CloseAsync();
        }
    }
}
