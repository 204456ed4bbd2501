using Microsoft.Extensions.Configuration;
using Zhiyuan.Web;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Tests.Platform;

public sealed class ConfigurationTests
{
    static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void SqliteIsTheDefaultAndARelativeFileLandsUnderTheContentRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "zhiyuan-tests", Guid.NewGuid().ToString("N"));

        var (options, error) = DatabaseOptions.Read(Settings(), root);

        Assert.Null(error);
        Assert.Equal(DatabaseProvider.Sqlite, options!.Provider);
        Assert.Contains(Path.Combine(root, "data", "zhiyuan.db"), options.ConnectionString);
        Assert.True(Directory.Exists(Path.Combine(root, "data")));
        Directory.Delete(root, recursive: true);
    }

    [Theory]
    [InlineData("Oracle", "is not supported")]
    [InlineData("7", "is not supported")]
    [InlineData("Sqlite,Postgres", "is not supported")]
    public void AnUnknownProviderIsOneSentenceNamingTheChoices(string provider, string expected)
    {
        var (options, error) = DatabaseOptions.Read(Settings(("Database:Provider", provider)), "/tmp");

        Assert.Null(options);
        Assert.Contains(expected, error);
        Assert.Contains("\"Sqlite\" or \"Postgres\"", error);
    }

    [Fact]
    public void PostgresWithoutAConnectionStringSaysWhatToSet()
    {
        var (options, error) = DatabaseOptions.Read(Settings(("Database:Provider", "postgres")), "/tmp");

        Assert.Null(options);
        Assert.Contains("Database:ConnectionString", error);
    }

    [Theory]
    [InlineData("Sqlite", "Data Source=x.db;Bogus Keyword=1")]
    [InlineData("Postgres", "Host=127.0.0.1;Bogus Keyword=1")]
    public void AMalformedConnectionStringIsOneSentence(string provider, string connectionString)
    {
        var (options, error) = DatabaseOptions.Read(Settings(("Database:Provider", provider), ("Database:ConnectionString", connectionString)), Path.GetTempPath());

        Assert.Null(options);
        Assert.StartsWith("Database:ConnectionString is not a valid " + provider, error);
    }

    [Fact]
    public void AGeneratedAdministratorPasswordAlwaysMeetsThePasswordRules()
    {
        for (var i = 0; i < 2000; i++)
        {
            var password = Zhiyuan.Web.Accounts.AdminSeed.GeneratePassword();
            Assert.True(password.Length == 16 && password.Any(char.IsDigit) && password.Any(char.IsLower), password);
        }
    }

    [Theory]
    [InlineData("/units", true)]
    [InlineData("/", true)]
    [InlineData("//evil.example.com", false)]
    [InlineData("/\\evil.example.com", false)]
    [InlineData("https://evil.example.com", false)]
    [InlineData("", false)]
    [InlineData("/\t/evil.example.com", false)]
    public void OnlyLocalReturnAddressesAreFollowed(string url, bool local) => Assert.Equal(local, Localization.IsLocal(url));
}
