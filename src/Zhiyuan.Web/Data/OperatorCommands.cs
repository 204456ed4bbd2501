using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Zhiyuan.Web.Data;

/// <summary>
/// Commands an operator runs against the configured database instead of starting the web app:
/// <c>Zhiyuan.Web check</c> runs the integrity check, <c>Zhiyuan.Web backup PATH</c> writes a backup,
/// <c>Zhiyuan.Web reset-admin USER</c> gives an administrator a new generated password, <c>Zhiyuan.Web version</c>
/// prints the build's version and commit. (<c>Zhiyuan.Web migrate</c> is in Program.cs: it needs the app's services.)
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

    /// <summary>The reset-admin command's exit code when no administrator has that user name (the database was reachable).</summary>
    public const int NoSuchAdministrator = 1;

    /// <summary>The command's exit code, or null when the arguments name no command (start the web app).</summary>
    public static async Task<int?> TryRunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        return args.FirstOrDefault() switch
        {
            "check" => await CheckAsync(args[1..], output ?? Console.Out, error ?? Console.Error),
            "backup" => await DatabaseBackup.RunAsync(args[1..], output ?? Console.Out, error ?? Console.Error),
            "reset-admin" => await ResetAdminAsync(args[1..], output ?? Console.Out, error ?? Console.Error),
            "version" => await VersionAsync(output ?? Console.Out),
            _ => null,
        };
    }

    /// <summary>The running build's version and git commit, the same as /health and the page footer show.</summary>
    static async Task<int> VersionAsync(TextWriter output)
    {
        await output.WriteLineAsync($"Zhiyuan {Infrastructure.AppVersion.Describe()}");
        return Clean;
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

    /// <summary>
    /// Recovers a lost administrator password (the city administrator's above all: nobody is above it,
    /// and Admin:Password only seeds the first start). Sets a generated password, printed this once,
    /// ends any lock-out, changes the security stamp (so every token and cookie of the old password
    /// ends) and writes an audit entry. Volunteers are refused: their unit administrators reset theirs.
    /// </summary>
    static async Task<int> ResetAdminAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            await error.WriteLineAsync("Usage: Zhiyuan.Web reset-admin USER (用法：reset-admin 用户名)");
            return NoSuchAdministrator;
        }
        var userName = args[0];
        var builder = WebApplication.CreateBuilder(Infrastructure.ContentRoot.Options(args[1..]));
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
            try
            {
                // Identity's default normaliser: upper case, invariant culture.
                var normalized = userName.ToUpperInvariant();
                var user = await db.Users.SingleOrDefaultAsync(u => u.NormalizedUserName == normalized);
                if (user is null || user.UnitId is null)
                {
                    await error.WriteLineAsync($"No administrator account is named {userName} (没有名为 {userName} 的管理员账户)");
                    return NoSuchAdministrator;
                }
                var password = Accounts.AdminSeed.GeneratePassword();
                user.PasswordHash = new Microsoft.AspNetCore.Identity.PasswordHasher<Accounts.AppUser>().HashPassword(user, password);
                user.SecurityStamp = Guid.NewGuid().ToString("N").ToUpperInvariant();
                user.ConcurrencyStamp = Guid.NewGuid().ToString();
                user.LockoutEnd = null;
                user.AccessFailedCount = 0;
                db.AuditEntries.Add(new Audit.AuditEntry
                {
                    AtUtc = DateTime.UtcNow,
                    ActorName = "operator (reset-admin)",
                    Action = "account.reset-admin",
                    UnitId = user.UnitId,
                    Subject = user.UserName!,
                });
                await db.SaveChangesAsync();
                await output.WriteLineAsync($"New password for {user.UserName}, shown only this once (新密码，只显示这一次): {password}");
                return Clean;
            }
            catch (Exception ex) when (ex is NpgsqlException or SqliteException or SocketException or TimeoutException or InvalidOperationException or DbUpdateException)
            {
                await error.WriteLineAsync($"Cannot reset the password in the {options.Provider} database at {Describe(options)}: {Innermost(ex).Message} (无法写入数据库)");
                return Unreachable;
            }
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
