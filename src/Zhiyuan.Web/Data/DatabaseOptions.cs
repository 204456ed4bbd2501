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

    /// <summary>
    /// Reads and checks the section. Returns the options, or one sentence saying what is wrong,
    /// because a bad database setting must stop start-up with a message a person can act on.
    /// </summary>
    public static (DatabaseOptions? Options, string? Error) Read(IConfiguration configuration, string contentRoot)
    {
        var section = configuration.GetSection(Section);
        var providerText = section["Provider"] ?? nameof(DatabaseProvider.Sqlite);
        if (!Enum.TryParse<DatabaseProvider>(providerText, ignoreCase: true, out var provider) || int.TryParse(providerText, out _))
        {
            return (null, $"Database:Provider \"{providerText}\" is not supported; use \"Sqlite\" or \"Postgres\". (不支持的数据库类型)");
        }

        var connectionString = section["ConnectionString"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = provider == DatabaseProvider.Sqlite ? "Data Source=data/zhiyuan.db" : null;
        }
        if (connectionString is null)
        {
            return (null, "Database:ConnectionString is empty; set it to a PostgreSQL connection string such as \"Host=127.0.0.1;Database=zhiyuan;Username=zhiyuan;Password=...\". (缺少数据库连接字符串)");
        }

        if (provider == DatabaseProvider.Sqlite)
        {
            connectionString = SqlitePathUnderContentRoot(connectionString, contentRoot);
        }
        return (new DatabaseOptions { Provider = provider, ConnectionString = connectionString }, null);
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
