using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Zhiyuan.Web.Data;

public static class DatabaseSetup
{
    /// <summary>
    /// Registers the context for the configured provider. The choice is made when the first context is
    /// resolved, from the final configuration (tests and hosts may override it after this call).
    /// </summary>
    public static IServiceCollection AddAppDatabase(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var (options, error) = DatabaseOptions.Read(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IHostEnvironment>().ContentRootPath);
            return options ?? throw new InvalidOperationException(error);
        });
        services.AddDbContext<SqliteAppDbContext>((sp, db) => db.UseSqlite(sp.GetRequiredService<DatabaseOptions>().ConnectionString));
        services.AddDbContext<PostgresAppDbContext>((sp, db) => db.UseNpgsql(sp.GetRequiredService<DatabaseOptions>().ConnectionString)
            .AddInterceptors(new BoundedMigrationLockWait(sp.GetRequiredService<DatabaseOptions>().MigrationLockWait)));
        services.AddScoped<AppDbContext>(sp => sp.GetRequiredService<DatabaseOptions>().Provider == DatabaseProvider.Postgres
            ? sp.GetRequiredService<PostgresAppDbContext>()
            : sp.GetRequiredService<SqliteAppDbContext>());
        services.AddHealthChecks().AddDbContextCheck<AppDbContext>("database");
        return services;
    }

    /// <summary>
    /// Creates or upgrades the database. Returns one sentence when the database cannot be reached,
    /// or another node's migration holds it for longer than Database:MigrationLockWaitSeconds, so
    /// start-up can end with that instead of a stack trace or a wait without end.
    /// </summary>
    public static async Task<string?> MigrateAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var options = scope.ServiceProvider.GetRequiredService<DatabaseOptions>();
        try
        {
            // Building an index on a province's 20 million ledger entries takes longer than the 30-second default.
            db.Database.SetCommandTimeout(TimeSpan.FromMinutes(30));
            if (options.Provider == DatabaseProvider.Sqlite)
            {
                return await MigrateSqliteAsync(db, options);
            }
            // EF locks the history table inside the migration's transaction, so a killed node's lock dies with
            // its connection; BoundedMigrationLockWait only keeps a live migrator elsewhere from holding us forever.
            await db.Database.MigrateAsync();
            return null;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            return $"Another node has been migrating the database at {DescribePostgres(options.ConnectionString)} for more than {options.MigrationLockWait.TotalSeconds:0} seconds: start this node again when that node has started (另一节点正在迁移数据库，请待其启动完成后再启动本节点)";
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException
                                   || ex is InvalidOperationException { InnerException: NpgsqlException or SocketException or TimeoutException })
        {
            var where = options.Provider == DatabaseProvider.Postgres
                ? DescribePostgres(options.ConnectionString)
                : options.ConnectionString;
            return $"Cannot reach the {options.Provider} database at {where}: {Innermost(ex).Message} (无法连接数据库，请检查 Database:ConnectionString 和数据库服务是否已启动)";
        }
        catch (SqliteException ex)
        {
            return $"Cannot open the SQLite database {options.ConnectionString}: {ex.Message} (无法打开 SQLite 数据库)";
        }
    }

    /// <summary>
    /// EF marks a SQLite migration with a row in __EFMigrationsLock and waits without end while the
    /// row exists; a process killed while migrating leaves it behind. The OS lock on a file next to
    /// the database dies with its process instead: whoever holds it is the only live migrator, so
    /// any row it finds is stale and is removed before migrating.
    /// </summary>
    static async Task<string?> MigrateSqliteAsync(AppDbContext db, DatabaseOptions options)
    {
        var file = new SqliteConnectionStringBuilder(options.ConnectionString).DataSource;
        if (file is "" or ":memory:")
        {
            await db.Database.MigrateAsync();
            return null;
        }
        var lockPath = file + ".migrate-lock";
        await using var fileLock = await LockFileAsync(lockPath, options.MigrationLockWait);
        if (fileLock is null)
        {
            return $"Another process has been migrating the SQLite database {file} for more than {options.MigrationLockWait.TotalSeconds:0} seconds (it holds {lockPath}): stop it or wait for it to start, then start again (另一进程正在迁移数据库，请待其完成后再启动)";
        }
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        try
        {
            if (await ScalarAsync(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '__EFMigrationsLock'") > 0)
            {
                await ScalarAsync(connection, "DELETE FROM \"__EFMigrationsLock\"");
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        await db.Database.MigrateAsync();
        return null;
    }

    /// <summary>The file opened for this process alone (an flock on Linux, released by the kernel when the process dies), or null after the wait.</summary>
    static async Task<FileStream?> LockFileAsync(string path, TimeSpan wait)
    {
        var giveUpAt = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < giveUpAt)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    static async Task<long> ScalarAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L);
    }

    static string DescribePostgres(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }

    static Exception Innermost(Exception ex) => ex.InnerException is null ? ex : Innermost(ex.InnerException);
}

/// <summary>
/// Bounds the wait for EF's PostgreSQL migration lock (LOCK TABLE "__EFMigrationsHistory" in the
/// migration's transaction): with a lock_timeout on that one statement, a node whose neighbour
/// migrates for too long fails with 55P03 and says so, instead of waiting without end. The timeout
/// is reset right after, so the migration's own statements may wait as long as they need.
/// </summary>
sealed class BoundedMigrationLockWait(TimeSpan wait) : DbCommandInterceptor
{
    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Bound(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Bound(command);
        return ValueTask.FromResult(result);
    }

    void Bound(DbCommand command)
    {
        if (command.CommandText.TrimStart().StartsWith("LOCK TABLE", StringComparison.Ordinal) && command.CommandText.Contains("__EFMigrationsHistory", StringComparison.Ordinal))
        {
            var milliseconds = (long)wait.TotalMilliseconds;
            command.CommandText = $"SET LOCAL lock_timeout = {milliseconds}; {command.CommandText.TrimEnd().TrimEnd(';')}; SET LOCAL lock_timeout = DEFAULT;";
        }
    }
}

/// <summary>Lets `dotnet ef migrations add` build each provider's context without starting the app.</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteAppDbContext>
{
    public SqliteAppDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite("Data Source=design.db").Options);
}

public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresAppDbContext>
{
    public PostgresAppDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresAppDbContext>().UseNpgsql("Host=localhost;Database=zhiyuan_design").Options);
}
