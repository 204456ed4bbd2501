using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Zhiyuan.Web.Data;

/// <summary>
/// <c>Zhiyuan.Web backup PATH</c>: a consistent copy of the configured database, safe while nodes serve
/// it. SQLite: SQLite's online backup, one read transaction (writers go on meanwhile), checked and made
/// one self-contained file. PostgreSQL: <c>pg_dump --format=custom</c>, whose snapshot is consistent too,
/// restored with <c>pg_restore</c> (README, "Backup and restore"). The file appears under its name only
/// when complete. The data-protection certificate is not in any backup, on purpose.
/// </summary>
public static class DatabaseBackup
{
    const string CertificateNote = "The certificate in DataProtection:CertificatePath is not in the backup: keep a copy of it apart, without it the backup's ID and mobile numbers cannot be read and no sign-in is valid. (证书不在备份中，须另行备份)";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            await error.WriteLineAsync("Name the file to write: Zhiyuan.Web backup PATH (请指定备份文件路径)");
            return OperatorCommands.NotWritten;
        }
        var target = Path.GetFullPath(args[0]);
        // The rest are the web app's own configuration arguments (--Database:ConnectionString=…).
        var builder = WebApplication.CreateBuilder(args[1..]);
        var (options, problem) = DatabaseOptions.Read(builder.Configuration, builder.Environment.ContentRootPath);
        if (options is null)
        {
            await error.WriteLineAsync(problem);
            return OperatorCommands.Unreachable;
        }
        if (File.Exists(target))
        {
            await error.WriteLineAsync($"The backup file {target} already exists: choose a new name, a backup never overwrites one. (备份文件已存在)");
            return OperatorCommands.NotWritten;
        }
        if (!Directory.Exists(Path.GetDirectoryName(target)))
        {
            await error.WriteLineAsync($"The folder of {target} does not exist. (备份文件夹不存在)");
            return OperatorCommands.NotWritten;
        }
        // Written beside the target and renamed when complete, so that a file under the target's name is always a whole backup.
        var partial = target + ".partial";
        File.Delete(partial);
        var (code, message) = options.Provider == DatabaseProvider.Sqlite
            ? await BackUpSqliteAsync(options, partial)
            : await BackUpPostgresAsync(options, partial);
        if (code != OperatorCommands.Clean)
        {
            File.Delete(partial);
            await error.WriteLineAsync(message);
            return code;
        }
        File.Move(partial, target);
        await output.WriteLineAsync($"Backed up the {options.Provider} database at {OperatorCommands.Describe(options)} to {target} ({new FileInfo(target).Length / 1024.0 / 1024.0:0.0} MB). {CertificateNote}");
        return OperatorCommands.Clean;
    }

    static async Task<(int Code, string? Error)> BackUpSqliteAsync(DatabaseOptions options, string partial)
    {
        var source = new SqliteConnectionStringBuilder(options.ConnectionString) { Mode = SqliteOpenMode.ReadWrite, Pooling = false };
        if (!File.Exists(source.DataSource))
        {
            return (OperatorCommands.Unreachable, $"The SQLite database {source.DataSource} does not exist (数据库文件不存在，请检查 Database:ConnectionString)");
        }
        try
        {
            await using var from = new SqliteConnection(source.ToString());
            await using var to = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = partial, Pooling = false }.ToString());
            await from.OpenAsync();
            await to.OpenAsync();
            // Taking the read lock waits while a node's checkpoint holds the file (SQLite's busy handler) instead
            // of failing at once with "database is locked".
            await ScalarAsync(from, "PRAGMA busy_timeout = 30000");
            // All pages in one step, under one read transaction: a consistent snapshot, never restarted by
            // the nodes' writes, which go on meanwhile (the database is in WAL mode).
            from.BackupDatabase(to);
            // One self-contained file to copy back, with no -wal file beside it.
            await ScalarAsync(to, "PRAGMA journal_mode = DELETE");
            var check = await ScalarAsync(to, "PRAGMA integrity_check");
            if (check != "ok")
            {
                return (OperatorCommands.NotWritten, $"The backup of {source.DataSource} failed SQLite's integrity check ({check}); nothing was written. (备份未通过完整性检查)");
            }
            return (OperatorCommands.Clean, null);
        }
        catch (SqliteException ex)
        {
            return (OperatorCommands.NotWritten, $"Cannot back up the SQLite database {source.DataSource}: {ex.Message} (备份失败)");
        }
    }

    static async Task<string?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    /// <summary>
    /// Runs pg_dump, the one tool that copies a PostgreSQL database faithfully (extensions, constraints,
    /// triggers, sequences). The password goes in its environment, never on a command line others can see.
    /// </summary>
    static async Task<(int Code, string? Error)> BackUpPostgresAsync(DatabaseOptions options, string partial)
    {
        var connection = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        var database = connection.Database ?? connection.Username ?? "postgres";
        var pgDump = FindPgDump();
        if (pgDump is null)
        {
            return (OperatorCommands.NotWritten,
                $"pg_dump is not installed here: install the PostgreSQL client (Debian: postgresql-client) or run on the database server: pg_dump --format=custom --host={connection.Host} --port={connection.Port} --username={connection.Username} --dbname={database} --file={partial[..^".partial".Length]} (未找到 pg_dump，请安装 PostgreSQL 客户端或在数据库服务器上运行上述命令)");
        }
        var start = new ProcessStartInfo(pgDump, ["--format=custom", "--file=" + partial, "--dbname=" + database])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Set(start, "PGHOST", connection.Host);
        Set(start, "PGPORT", connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Set(start, "PGUSER", connection.Username);
        Set(start, "PGPASSWORD", connection.Password);
        Set(start, "PGCONNECT_TIMEOUT", connection.Timeout.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (connection.SslMode != SslMode.Prefer)
        {
            Set(start, "PGSSLMODE", connection.SslMode.ToString().ToLowerInvariant().Replace("verifyca", "verify-ca").Replace("verifyfull", "verify-full"));
        }
        using var process = Process.Start(start)!;
        var said = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode == 0)
        {
            return (OperatorCommands.Clean, null);
        }
        var reason = (await said).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? $"exit code {process.ExitCode}";
        var unreachable = reason.Contains("connection to server", StringComparison.OrdinalIgnoreCase) || reason.Contains("could not connect", StringComparison.OrdinalIgnoreCase);
        return (unreachable ? OperatorCommands.Unreachable : OperatorCommands.NotWritten,
            $"Cannot back up the Postgres database at {OperatorCommands.Describe(options)}: {reason} (备份失败)");
    }

    static void Set(ProcessStartInfo start, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            start.Environment[name] = value;
        }
    }

    /// <summary>pg_dump on the PATH, else the newest of Debian's versioned installs (a newer pg_dump reads older servers, never the reverse).</summary>
    static string? FindPgDump()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "pg_dump")).FirstOrDefault(File.Exists);
        if (onPath is not null)
        {
            return onPath;
        }
        const string debian = "/usr/lib/postgresql";
        return Directory.Exists(debian)
            ? Directory.GetDirectories(debian).Select(version => Path.Combine(version, "bin", "pg_dump")).Where(File.Exists)
                .OrderByDescending(path => int.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(path))), out var major) ? major : 0)
                .FirstOrDefault()
            : null;
    }
}
