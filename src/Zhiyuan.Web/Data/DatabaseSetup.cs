using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
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
        services.AddDbContext<PostgresAppDbContext>((sp, db) => db.UseNpgsql(sp.GetRequiredService<DatabaseOptions>().ConnectionString));
        services.AddScoped<AppDbContext>(sp => sp.GetRequiredService<DatabaseOptions>().Provider == DatabaseProvider.Postgres
            ? sp.GetRequiredService<PostgresAppDbContext>()
            : sp.GetRequiredService<SqliteAppDbContext>());
        services.AddHealthChecks().AddDbContextCheck<AppDbContext>("database");
        return services;
    }

    /// <summary>
    /// Creates or upgrades the database. Returns one sentence when the database cannot be reached,
    /// so start-up can end with that instead of a stack trace.
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
            await db.Database.MigrateAsync();
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException
                                   || ex is InvalidOperationException { InnerException: NpgsqlException or SocketException or TimeoutException })
        {
            var where = options.Provider == DatabaseProvider.Postgres
                ? DescribePostgres(options.ConnectionString)
                : options.ConnectionString;
            return $"Cannot reach the {options.Provider} database at {where}: {Innermost(ex).Message} (无法连接数据库，请检查 Database:ConnectionString 和数据库服务是否已启动)";
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            return $"Cannot open the SQLite database {options.ConnectionString}: {ex.Message} (无法打开 SQLite 数据库)";
        }
    }

    static string DescribePostgres(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }

    static Exception Innermost(Exception ex) => ex.InnerException is null ? ex : Innermost(ex.InnerException);
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
