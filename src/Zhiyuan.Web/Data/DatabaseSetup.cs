using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;
using Zhiyuan.Web.PublicSite;

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
        services.AddDbContext<SqliteAppDbContext>((sp, db) => db.UseSqlite(sp.GetRequiredService<DatabaseOptions>().ConnectionString).WatchPublicWrites(sp));
        services.AddDbContext<PostgresAppDbContext>((sp, db) => db.UseNpgsql(sp.GetRequiredService<DatabaseOptions>().ConnectionString).WatchPublicWrites(sp));
        services.AddScoped<AppDbContext>(sp => sp.GetRequiredService<DatabaseOptions>().Provider == DatabaseProvider.Postgres
            ? sp.GetRequiredService<PostgresAppDbContext>()
            : sp.GetRequiredService<SqliteAppDbContext>());
        services.AddSingleton<MigrationState>();
        services.AddHealthChecks()
            .AddDbContextCheck<AppDbContext>("database", tags: ["ready"])
            .AddCheck<MigrationCheck>("migrations", tags: ["ready"]);
        return services;
    }

    /// <summary>PostgreSQL advisory lock key held while a node migrates and seeds ("Zhiyuan" in ASCII).</summary>
    const long StartupLockKey = 0x5A68697975616E;

    /// <summary>
    /// Creates or upgrades the database, then runs <paramref name="seed"/>, while holding a lock that
    /// only one starting node (or process) holds at a time: nodes started together migrate once and
    /// seed once, one after the other. The lock dies with its holder (an OS file lock next to a
    /// SQLite database, a session advisory lock on PostgreSQL), so a node killed while starting
    /// never blocks the next. Returns one sentence when the database cannot be reached, or when
    /// another node holds the lock longer than Database:MigrationLockWaitSeconds, so start-up can end
    /// with that instead of a stack trace or a wait without end.
    /// </summary>
    /// <param name="migrate">false with Database:MigrateOnStart=false: only seed (under the same lock), never migrate.</param>
    public static async Task<string?> MigrateAndSeedAsync(IServiceProvider services, Func<Task<string?>> seed, bool migrate = true)
    {
        var options = services.GetRequiredService<DatabaseOptions>();
        try
        {
            await using var startupLock = options.Provider == DatabaseProvider.Postgres
                ? await LockPostgresAsync(options)
                : await LockSqliteFileAsync(options);
            if (startupLock is null)
            {
                var holder = options.Provider == DatabaseProvider.Postgres ? "node" : "process";
                return $"Another {holder} has been starting on the {options.Provider} database at {Describe(options)} (migrating or seeding it) for more than {options.MigrationLockWait.TotalSeconds:0} seconds: wait until it has started, or stop it, then start this one again (另一节点正在迁移或初始化数据库，请待其启动完成或将其停止后再启动本节点)";
            }
            await using (var scope = services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                // Building an index on a province's 20 million ledger entries takes longer than the 30-second default.
                db.Database.SetCommandTimeout(TimeSpan.FromMinutes(30));
                if (migrate && options.Provider == DatabaseProvider.Sqlite)
                {
                    await ClearStaleSqliteMigrationLockAsync(db);
                }
                if (migrate)
                {
                    await db.Database.MigrateAsync();
                }
                else
                {
                    // Reached before anything else touches the database: an unreachable server ends start-up with a sentence here too.
                    await db.Database.OpenConnectionAsync();
                    await db.Database.CloseConnectionAsync();
                }
            }
            return await seed();
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException
                                   || ex is InvalidOperationException { InnerException: NpgsqlException or SocketException or TimeoutException })
        {
            return $"Cannot reach the {options.Provider} database at {Describe(options)}: {Innermost(ex).Message} (无法连接数据库，请检查 Database:ConnectionString 和数据库服务是否已启动)";
        }
        catch (SqliteException ex)
        {
            return $"Cannot open the SQLite database {options.ConnectionString}: {ex.Message} (无法打开 SQLite 数据库)";
        }
    }

    /// <summary>
    /// EF marks a SQLite migration with a row in __EFMigrationsLock and waits without end while the
    /// row exists; a process killed while migrating leaves it behind. Called only while holding the
    /// file lock, which a live migrator would hold: any row is therefore stale.
    /// </summary>
    static async Task ClearStaleSqliteMigrationLockAsync(AppDbContext db)
    {
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
    }

    /// <summary>
    /// <c>&lt;database file&gt;.migrate-lock</c> opened for this process alone (an flock on Linux, released by
    /// the kernel when the process dies, however it dies); null when another holds it past the wait.
    /// An in-memory database has nothing to share and needs no lock.
    /// </summary>
    static async Task<IAsyncDisposable?> LockSqliteFileAsync(DatabaseOptions options)
    {
        var file = new SqliteConnectionStringBuilder(options.ConnectionString).DataSource;
        if (file is "" or ":memory:")
        {
            return new MemoryStream();
        }
        var giveUpAt = DateTime.UtcNow + options.MigrationLockWait;
        while (true)
        {
            try
            {
                return new FileStream(file + ".migrate-lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
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

    /// <summary>
    /// A session advisory lock on a connection of its own, held until disposed; PostgreSQL releases
    /// it when the connection ends, also when the node is killed. Tried rather than waited for, so
    /// that the wait has an end.
    /// </summary>
    static async Task<IAsyncDisposable?> LockPostgresAsync(DatabaseOptions options)
    {
        // Not pooled: closing it must end the session, and with it the lock.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(options.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        var giveUpAt = DateTime.UtcNow + options.MigrationLockWait;
        while (true)
        {
            await using var command = new NpgsqlCommand($"SELECT pg_try_advisory_lock({StartupLockKey})", connection);
            if (await command.ExecuteScalarAsync() is true)
            {
                return connection;
            }
            if (DateTime.UtcNow >= giveUpAt)
            {
                await connection.DisposeAsync();
                return null;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }

    static async Task<long> ScalarAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L);
    }

    static string Describe(DatabaseOptions options) => options.Provider == DatabaseProvider.Postgres
        ? DescribePostgres(options.ConnectionString)
        : new SqliteConnectionStringBuilder(options.ConnectionString).DataSource;

    static string DescribePostgres(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }

    static Exception Innermost(Exception ex) => ex.InnerException is null ? ex : Innermost(ex.InnerException);
}

/// <summary>Ready only when this node's build and the database agree: every migration applied, the node seeded.</summary>
sealed class MigrationCheck(MigrationState state) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.Current
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy()
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy(state.Pending.Count > 0
                ? $"{state.Pending.Count} migrations pending: run `Zhiyuan.Web migrate`"
                : "starting"));
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
