using System.Diagnostics;
using System.Text;

namespace Zhiyuan.Tests.Platform;

/// <summary>Starts the real program as a person would, and reads what it prints.</summary>
public sealed class StartupTests
{
    [Fact]
    public async Task AnUnknownDatabaseProviderEndsStartUpWithOneClearSentence()
    {
        var run = await RunAsync(("Database__Provider", "Oracle"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Database:Provider \"Oracle\" is not supported", run.Error);
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task AnUnreachablePostgresEndsStartUpWithOneClearSentence()
    {
        var run = await RunAsync(
            ("Database__Provider", "Postgres"),
            ("Database__ConnectionString", "Host=127.0.0.1;Port=1;Database=zhiyuan;Username=nobody;Timeout=3"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Cannot reach the Postgres database at 127.0.0.1:1/zhiyuan", run.Error);
        AssertNoStackTrace(run);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("no-digits-at-all")]
    public async Task AWeakAdministratorPasswordEndsStartUpWithOneClearSentence(string password)
    {
        var database = Path.Combine(Path.GetTempPath(), "zhiyuan-tests", Guid.NewGuid().ToString("N") + ".db");
        var run = await RunAsync(("Database__ConnectionString", $"Data Source={database}"), ("Admin__Password", password));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(database);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Admin:Password is not accepted", run.Error);
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task WithoutAConfiguredPasswordTheAdministratorsPasswordIsPrintedOnTheFirstStartOnly()
    {
        var database = Path.Combine(Path.GetTempPath(), "zhiyuan-tests", Guid.NewGuid().ToString("N") + ".db");
        try
        {
            var first = await RunAsync(("Database__ConnectionString", $"Data Source={database}"), ("ZHIYUAN_STOP_WHEN_STARTED", "1"));
            var second = await RunAsync(("Database__ConnectionString", $"Data Source={database}"), ("ZHIYUAN_STOP_WHEN_STARTED", "1"));

            Assert.Contains("Application started", first.Output);
            Assert.Contains("密码 / password:", first.Output);
            Assert.Contains("Application started", second.Output);
            Assert.DoesNotContain("password:", second.Output);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(database);
        }
    }

    static void AssertNoStackTrace(Run run)
    {
        Assert.DoesNotContain("   at ", run.Error + run.Output);
        Assert.DoesNotContain("Exception", run.Error + run.Output);
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    sealed record Run(int ExitCode, string Output, string Error);

    /// <summary>
    /// Runs Zhiyuan.Web.dll with the given environment. With ZHIYUAN_STOP_WHEN_STARTED the test stops
    /// it as soon as it says it has started.
    /// </summary>
    static async Task<Run> RunAsync(params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "Zhiyuan.Web.dll"), "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Admin__Password"] = null;
        // A production node needs its key-ring certificate; the tests of that are in Operations/KeyRingTests.
        foreach (var (name, value) in Operations.TestCertificates.Environment("node"))
        {
            start.Environment[name] = value;
        }
        var stopWhenStarted = false;
        foreach (var (name, value) in environment)
        {
            if (name == "ZHIYUAN_STOP_WHEN_STARTED")
            {
                stopWhenStarted = true;
                continue;
            }
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var error = new StringBuilder();
        var started = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            lock (output)
            {
                output.AppendLine(e.Data);
            }
            if (e.Data.Contains("Application started"))
            {
                started.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (error)
                {
                    error.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        if (stopWhenStarted)
        {
            await Task.WhenAny(started.Task, process.WaitForExitAsync(timeout.Token));
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        await process.WaitForExitAsync(timeout.Token);
        process.WaitForExit();
        lock (output)
        {
            lock (error)
            {
                return new Run(process.ExitCode, output.ToString(), error.ToString());
            }
        }
    }
}
