namespace Zhiyuan.Web.Data;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>The <c>Database</c> configuration section.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    public string ConnectionString { get; set; } = "";

    /// <summary>How long a starting node waits for another one's migration before it gives up with a sentence (Database:MigrationLockWaitSeconds).</summary>
    public TimeSpan MigrationLockWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether a starting node migrates the database (Database:MigrateOnStart, default true). With false
    /// only `Zhiyuan.Web migrate` does, and a node finding migrations pending does not serve until it has.
    /// </summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>
    /// Reads and checks the section. Returns the options, or one sentence saying what is wrong,
    /// because a bad database setting must stop start-up with a message a person can act on.
    /// </summary>
    public static (DatabaseOptions? Options, string? Error) Read(IConfiguration configuration, string contentRoot)
    {
        var section = configuration.GetSection(Section);
        var providerText = section["Provider"] ?? nameof(DatabaseProvider.Sqlite);
        var providerName = Enum.GetNames<DatabaseProvider>().FirstOrDefault(n => n.Equals(providerText.Trim(), StringComparison.OrdinalIgnoreCase));
        if (providerName is null)
        {
            return (null, $"Database:Provider \"{providerText}\" is not supported; use \"Sqlite\" or \"Postgres\". (不支持的数据库类型)");
        }
        var provider = Enum.Parse<DatabaseProvider>(providerName);

        var connectionString = section["ConnectionString"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = provider == DatabaseProvider.Sqlite ? "Data Source=data/zhiyuan.db" : null;
        }
        if (connectionString is null)
        {
            return (null, "Database:ConnectionString is empty; set it to a PostgreSQL connection string such as \"Host=127.0.0.1;Database=zhiyuan;Username=zhiyuan;Password=...\". (缺少数据库连接字符串)");
        }

        try
        {
            connectionString = provider == DatabaseProvider.Sqlite
                ? SqlitePathUnderContentRoot(connectionString, contentRoot)
                : PostgresWithPreparedStatements(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or UnauthorizedAccessException)
        {
            return (null, $"Database:ConnectionString is not a valid {provider} connection string: {ex.Message} (数据库连接字符串有误)");
        }
        var wait = section.GetValue<int?>("MigrationLockWaitSeconds") ?? 60;
        if (wait < 1)
        {
            return (null, "Database:MigrationLockWaitSeconds must be at least 1. (迁移等待时间至少为 1 秒)");
        }
        var migrateText = section["MigrateOnStart"];
        var migrateOnStart = true;
        if (!string.IsNullOrWhiteSpace(migrateText) && !bool.TryParse(migrateText.Trim(), out migrateOnStart))
        {
            return (null, $"Database:MigrateOnStart \"{migrateText}\" is not true or false. (应为 true 或 false)");
        }
        return (new DatabaseOptions
        {
            Provider = provider, ConnectionString = connectionString, MigrationLockWait = TimeSpan.FromSeconds(wait), MigrateOnStart = migrateOnStart,
        }, null);
    }

    /// <summary>
    /// Lets Npgsql prepare the statements a connection runs again and again, unless the connection
    /// string says otherwise: PostgreSQL then plans each of them once per connection instead of on
    /// every call (measured: +40% sign-ups per second under a storm, docs/performance.md).
    /// </summary>
    static string PostgresWithPreparedStatements(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 64;
        }
        return builder.ConnectionString;
    }

    // A relative SQLite file would land wherever the process happens to start; anchor it to the
    // content root (the project folder under `dotnet run`) and create its folder.
    static string SqlitePathUnderContentRoot(string connectionString, string contentRoot)
    {
        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
        if (builder.DataSource is "" or ":memory:" || builder.Mode == Microsoft.Data.Sqlite.SqliteOpenMode.Memory)
        {
            return connectionString;
        }
        var path = Path.IsPathRooted(builder.DataSource) ? builder.DataSource : Path.Combine(contentRoot, builder.DataSource);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        builder.DataSource = path;
        return builder.ToString();
    }
}
