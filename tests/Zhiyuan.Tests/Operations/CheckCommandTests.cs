using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Data;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Operations;

/// <summary>`Zhiyuan.Web check`, as an operator runs it against the configured database.</summary>
public sealed class CheckCommandTests
{
    [Fact]
    public async Task TheCheckCommandPassesACleanDatabaseAndNamesEachBrokenInvariantOnADamagedOne()
    {
        await using var app = new TestApp();
        using var admin = await app.ApiClientAsync();
        var activity = await PublishedAsync(admin, Activity(await OrganizationAsync(admin), InDays(3), capacity: 10));
        var session = SessionId(activity);
        var environment = AppProcess.Environment(TestDatabase.Provider.ToString(), app.Database.ConnectionString);

        var clean = await AppProcess.RunAsync(["check"], environment);

        Assert.Equal(0, clean.ExitCode);
        Assert.Equal($"Integrity: {IntegrityCheck.Invariants.Count} invariants checked, 0 violations.", clean.Output.Trim());
        // It is a command, not a server: nothing about listening or starting.
        Assert.DoesNotContain("Now listening", clean.Output);

        // A counter that no longer matches its rows, as a bug or a hand-made fix could leave it.
        await app.WithDbAsync(db => db.ActivitySessions.Where(s => s.Id == session).ExecuteUpdateAsync(u => u.SetProperty(s => s.Accepted, 3)));
        var damaged = await AppProcess.RunAsync(["check"], environment);

        Assert.Equal(1, damaged.ExitCode);
        var lines = damaged.Output.Trim().Split('\n');
        Assert.StartsWith("sessions.accepted: session " + session, lines[0], StringComparison.OrdinalIgnoreCase);
        Assert.Equal("Integrity: 1 violations.", lines[^1].Trim());
        await app.WithDbAsync(db => db.ActivitySessions.Where(s => s.Id == session).ExecuteUpdateAsync(u => u.SetProperty(s => s.Accepted, 0)));
    }

    [Fact]
    public async Task TheCheckCommandSaysInOneSentenceWhenTheDatabaseCannotBeReached()
    {
        var missing = Path.Combine(Path.GetTempPath(), "zhiyuan-tests", Guid.NewGuid().ToString("N") + ".db");
        var sqlite = await AppProcess.RunAsync(["check"], AppProcess.Environment("Sqlite", $"Data Source={missing}"));
        var postgres = await AppProcess.RunAsync(["check"], AppProcess.Environment("Postgres", "Host=127.0.0.1;Port=1;Database=zhiyuan;Username=nobody;Timeout=3"));

        Assert.Equal(2, sqlite.ExitCode);
        Assert.Contains("does not exist", sqlite.Error);
        // Checking must not create the database it was pointed at.
        Assert.False(File.Exists(missing));
        Assert.Equal(2, postgres.ExitCode);
        Assert.Contains("127.0.0.1:1/zhiyuan", postgres.Error);
        foreach (var run in new[] { sqlite, postgres })
        {
            Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.DoesNotContain("   at ", run.Error + run.Output);
        }
    }
}
