using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Zhiyuan.Web.Data;

/// <summary>
/// The platform itself, hosted in this process on a given database: its own services (personal-data
/// keys, volunteer numbers, accounts) for the generator, and with <see cref="WebApplicationFactory{T}.UseKestrel(int)"/>
/// a real HTTP listener for the sign-up storm.
/// </summary>
class BenchHost(string connectionString) : WebApplicationFactory<AppDbContext>
{
    public const string AdminPassword = "Bench-admin-2019";

    public static bool IsSqlite(string connectionString) =>
        connectionString.TrimStart().StartsWith("Data Source", StringComparison.OrdinalIgnoreCase)
        || connectionString.TrimStart().StartsWith("Filename", StringComparison.OrdinalIgnoreCase);

    /// <summary>The test host looks for the web project's folder by this setting when no test project points to it.</summary>
    public static void PointAtWebProject()
    {
        var webProject = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src/Zhiyuan.Web"));
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_ZHIYUAN_WEB", webProject);
    }

    /// <summary>A context on the target database, as bench/Program.cs opens its own: PostgreSQL, or SQLite for "Data Source=…".</summary>
    public static AppDbContext Open(string connectionString) => IsSqlite(connectionString)
        ? new SqliteAppDbContext(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite(connectionString).Options)
        : new PostgresAppDbContext(new DbContextOptionsBuilder<PostgresAppDbContext>().UseNpgsql(connectionString).Options);

    /// <summary>Deletes the target database (PostgreSQL: drops it through the maintenance database; SQLite: removes the file).</summary>
    public static async Task DropAsync(string connectionString)
    {
        if (IsSqlite(connectionString))
        {
            SqliteConnection.ClearAllPools();
            var file = new SqliteConnectionStringBuilder(connectionString).DataSource;
            foreach (var path in new[] { file, file + "-wal", file + "-shm", file + "-journal" })
            {
                File.Delete(path);
            }
            return;
        }
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var name = target.Database ?? throw new ArgumentException("The connection string names no Database.");
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ToString());
        await admin.OpenAsync();
        await new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name.Replace("\"", "\"\"")}\" WITH (FORCE)", admin).ExecuteNonQueryAsync();
        NpgsqlConnection.ClearAllPools();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Database:Provider", IsSqlite(connectionString) ? "Sqlite" : "Postgres");
        builder.UseSetting("Database:ConnectionString", connectionString);
        builder.UseSetting("Admin:Password", AdminPassword);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        // Measured as deployed: the test host's default, Development, validates every service scope.
        builder.UseEnvironment("Production");
        // As deployed, the key ring is under a certificate (a throwaway one, made for this run).
        builder.UseSetting("DataProtection:CertificatePath", Certificate.Value);
        builder.UseSetting("DataProtection:CertificatePassword", CertificatePassword);
    }

    const string CertificatePassword = "bench";

    static readonly Lazy<string> Certificate = new(() =>
    {
        // One certificate for every run on this machine, so that a later run (--existing) can open the
        // key ring an earlier one stored in the database. Older databases: list the certificate of the run
        // that made them in DataProtection__PreviousCertificatePaths__0 (and …Passwords__0=bench).
        var path = Path.Combine(Path.GetTempPath(), "zhiyuan-bench.pfx");
        if (!File.Exists(path))
        {
            using var rsa = RSA.Create(2048);
            var request = new CertificateRequest("CN=Zhiyuan bench", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
            var temporary = path + "." + Environment.ProcessId;
            File.WriteAllBytes(temporary, certificate.Export(X509ContentType.Pfx, CertificatePassword));
            File.Move(temporary, path, overwrite: false);
        }
        return path;
    });
}
