using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Zhiyuan.Web.Data;

/// <summary>
/// Commands an operator runs against the configured database instead of starting the web app:
/// <c>Zhiyuan.Web check</c> runs the integrity check, <c>Zhiyuan.Web backup PATH</c> writes a backup.
/// They read the same configuration as the app (appsettings, environment, command line) but never
/// listen, seed or migrate, so they are safe on a production database while nodes serve it.
/// </summary>
public static class OperatorCommands
{
    public const int Clean = 0;
    public const int Violations = 1;
    public const int Unreachable = 2;

    /// <summary>The backup command's exit code when the backup could not be written (the database was reachable).</summary>
    public const int NotWritten = 1;

    /// <summary>The command's exit code, or null when the arguments name no command (start the web app).</summary>
    public static async Task<int?> TryRunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        return args.FirstOrDefault() switch
        {
            "check" => await CheckAsync(args[1..], output ?? Console.Out, error ?? Console.Error),
            "backup" => await DatabaseBackup.RunAsync(args[1..], output ?? Console.Out, error ?? Console.Error),
            _ => null,
        };
    }

    static async Task<int> CheckAsync(string[] args, TextWriter output, TextWriter error)
    {
        // The web app's own builder gives exactly its configuration sources and content root; it is never built into a server.
        var builder = WebApplication.CreateBuilder(Infrastructure.ContentRoot.Options(args));
        var (options, problem) = DatabaseOptions.Read(builder.Configuration, builder.Environment.ContentRootPath);
        if (options is null)
        {
            await error.WriteLineAsync(problem);
            return Unreachable;
        }
        var (db, missing) = Open(options);
        if (db is null)
        {
            await error.WriteLineAsync(missing);
            return Unreachable;
        }
        await using (db)
        {
            List<IntegrityViolation> violations;
            try
            {
                violations = await IntegrityCheck.FindViolationsAsync(db);
            }
            catch (Exception ex) when (ex is NpgsqlException or SqliteException or SocketException or TimeoutException or InvalidOperationException)
            {
                await error.WriteLineAsync($"Cannot check the {options.Provider} database at {Describe(options)}: {Innermost(ex).Message} (无法读取数据库：请检查 Database:ConnectionString、数据库服务是否已启动，以及应用是否已启动过一次完成迁移)");
                return Unreachable;
            }
            foreach (var violation in violations)
            {
                await output.WriteLineAsync(violation.ToString());
            }
            await output.WriteLineAsync(violations.Count == 0
                ? $"Integrity: {IntegrityCheck.Invariants.Count} invariants checked, 0 violations."
                : $"Integrity: {violations.Count} violations.");
            return violations.Count == 0 ? Clean : Violations;
        }
    }

    /// <summary>A context on the configured database, never creating it: a missing SQLite file is reported, not made.</summary>
    internal static (AppDbContext? Db, string? Error) Open(DatabaseOptions options)
    {
        if (options.Provider == DatabaseProvider.Postgres)
        {
            return (new PostgresAppDbContext(new DbContextOptionsBuilder<PostgresAppDbContext>().UseNpgsql(options.ConnectionString).Options), null);
        }
        var sqlite = new SqliteConnectionStringBuilder(options.ConnectionString);
        if (!File.Exists(sqlite.DataSource))
        {
            return (null, $"The SQLite database {sqlite.DataSource} does not exist (数据库文件不存在，请检查 Database:ConnectionString)");
        }
        // ReadWrite rather than the default ReadWriteCreate; read-only would fail on a WAL database whose -shm file is gone.
        sqlite.Mode = SqliteOpenMode.ReadWrite;
        return (new SqliteAppDbContext(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite(sqlite.ToString()).Options), null);
    }

    internal static string Describe(DatabaseOptions options)
    {
        if (options.Provider == DatabaseProvider.Sqlite)
        {
            return new SqliteConnectionStringBuilder(options.ConnectionString).DataSource;
        }
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }

    internal static Exception Innermost(Exception ex) => ex.InnerException is null ? ex : Innermost(ex.InnerException);
}
