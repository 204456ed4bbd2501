using Zhiyuan.Tests.Operations;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Tests.Platform;

/// <summary>Secrets that travel in addresses: a citizen's tracking token, codes, a partner's staff key.</summary>
public sealed class Secrets
{
    public string Track { get; } = "Trk" + Guid.NewGuid().ToString("N");
    public string ApiTrack { get; } = "Api" + Guid.NewGuid().ToString("N");
    public string StaffKey { get; } = "Stf" + Guid.NewGuid().ToString("N");
    public string Code { get; } = "Cod" + Guid.NewGuid().ToString("N")[..10];

    public string[] All => [Track, ApiTrack, StaffKey, Code];

    /// <summary>A citizen's tracking page and API call, a partner's staff page, a certificate check by code.</summary>
    public string[] Urls =>
    [
        $"/orders/{Guid.NewGuid()}?t={Track}",
        $"/api/orders/{Guid.NewGuid()}/track?t={ApiTrack}",
        $"/partners/staff/{StaffKey}",
        $"/api/service-certificates/verify?lang=zh&code={Code}",
    ];
}

public sealed class LogRedactionTests : AppTest
{
    public LogRedactionTests()
    {
        // Every category at the most detailed level, the framework's request logging included.
        app.Settings["Logging:LogLevel:Default"] = "Trace";
        app.Settings["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
        app.Settings["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Trace";
    }

    [Theory]
    [InlineData("GET http://x/orders/6f1c/track?t=SECRET&x=1", "GET http://x/orders/6f1c/track?t=***&x=1")]
    [InlineData("/api/service-certificates/verify?short=1&code=SECRET", "/api/service-certificates/verify?short=1&code=***")]
    [InlineData("/a?token=SECRET#top", "/a?token=***#top")]
    [InlineData("/a?KEY=SECRET", "/a?KEY=***")]
    [InlineData("/partners/staff/SECRET", "/partners/staff/***")]
    [InlineData("Request starting HTTP/1.1 GET http://h/partners/staff/SECRET/x?y=1 - - -", "Request starting HTTP/1.1 GET http://h/partners/staff/***/x?y=1 - - -")]
    [InlineData("with value 'partners/staff/SECRET' for", "with value 'partners/staff/***' for")]
    [InlineData("Endpoint '/partners/staff/{Key} (/partners/staff/{Key})'", "Endpoint '/partners/staff/{Key} (/partners/staff/{Key})'")]
    [InlineData("/orders/{id}?unitCode=441202&at=3", "/orders/{id}?unitCode=441202&at=3")]
    [InlineData("Order verification code for 139****0001: 123456", "Order verification code for 139****0001: 123456")]
    public void SecretsInAddressesAreMaskedAndEverythingElseIsLeftAlone(string text, string expected) =>
        Assert.Equal(expected, LogRedaction.Redact(text));

    [Fact]
    public async Task WithEveryLogAtTraceTheRecordedLinesShowTheRequestsButNoTokenOrKey()
    {
        var secrets = new Secrets();
        using var client = app.CreateClient();
        foreach (var url in secrets.Urls)
        {
            await client.GetAsync(url);
        }
        var lines = app.LogLines.ToList();
        Assert.Contains(lines, l => l.Contains("/partners/staff/" + LogRedaction.Mask));
        Assert.Contains(lines, l => l.Contains("track?t=" + LogRedaction.Mask));
        foreach (var secret in secrets.All)
        {
            Assert.True(!lines.Any(l => l.Contains(secret)), "a secret in the log: " + lines.FirstOrDefault(l => l.Contains(secret)));
        }
    }

    [Fact]
    public async Task StartedFromAnotherFolderTheAppReadsItsOwnSettingsAndItsDebugLogHoldsNoTokenOrKey()
    {
        using var database = new TestDatabase();
        var elsewhere = Directory.CreateTempSubdirectory("zhiyuan-elsewhere-");
        try
        {
            var environment = AppProcess.Environment(TestDatabase.Provider.ToString(), database.ConnectionString);
            environment["Logging__LogLevel__Default"] = "Debug";
            environment["Logging__LogLevel__Microsoft.AspNetCore"] = "Debug";
            using var app = AppProcess.Start(environment, elsewhere.FullName);
            Assert.True(await app.WaitHealthyAsync(TimeSpan.FromSeconds(120)), app.Output);
            var secrets = new Secrets();
            using (var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(30) })
            {
                foreach (var url in secrets.Urls)
                {
                    await http.GetAsync(url);
                }
            }
            // The console logger writes from a queue of its own: wait for the last request's line.
            for (var i = 0; i < 100 && !app.Output.Contains("verify?lang=zh&code=" + LogRedaction.Mask); i++)
            {
                await Task.Delay(100);
            }
            app.Kill();
            var output = app.Output;

            foreach (var secret in secrets.All)
            {
                var at = output.IndexOf(secret, StringComparison.Ordinal);
                Assert.True(at < 0, "a secret in the log: " + (at < 0 ? "" : output[Math.Max(0, at - 300)..Math.Min(output.Length, at + 100)]));
            }
            Assert.Contains("/partners/staff/" + LogRedaction.Mask, output);
            Assert.Contains("?t=" + LogRedaction.Mask, output);
            // Its appsettings.json was read: Default is Debug here, yet the file's "Microsoft.EntityFrameworkCore":
            // "Warning" keeps EF quiet (without the file EF writes every command at Debug).
            Assert.Contains("dbug: ", output);
            Assert.DoesNotContain("dbug: Microsoft.EntityFrameworkCore", output);
            Assert.DoesNotContain("info: Microsoft.EntityFrameworkCore", output);
            Assert.Empty(elsewhere.EnumerateFileSystemInfos());
        }
        finally
        {
            elsewhere.Delete(recursive: true);
        }
    }

    [Fact]
    public void TheWorkingDirectoryKeepsTheContentRootWhenItHoldsSettingsOtherwiseTheAppsOwnFolderTakesIt()
    {
        var root = Directory.CreateTempSubdirectory("zhiyuan-root-");
        try
        {
            var project = Directory.CreateDirectory(Path.Combine(root.FullName, "project")).FullName;
            var bin = Directory.CreateDirectory(Path.Combine(root.FullName, "bin")).FullName;
            var elsewhere = Directory.CreateDirectory(Path.Combine(root.FullName, "elsewhere")).FullName;
            File.WriteAllText(Path.Combine(project, "appsettings.json"), "{}");
            File.WriteAllText(Path.Combine(bin, "appsettings.json"), "{}");

            // dotnet run: the project folder, so data/zhiyuan.db stays there.
            Assert.Null(ContentRoot.Choose([], project, bin));
            // Started from elsewhere: the app's own folder.
            Assert.Equal(bin, ContentRoot.Choose([], elsewhere, bin));
            // Named on the command line (as the test host does): left alone.
            Assert.Null(ContentRoot.Choose(["--contentRoot=/srv/zhiyuan"], elsewhere, bin));
            Assert.Null(ContentRoot.Choose(["--contentRoot", "/srv/zhiyuan"], elsewhere, bin));
            // Nowhere a settings file: the default.
            Assert.Null(ContentRoot.Choose([], elsewhere, elsewhere));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
