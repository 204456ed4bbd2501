using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit.Abstractions;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Tests.Operations;

/// <summary>
/// `Zhiyuan.Web backup PATH` against a running production node under a stream of registrations, then the
/// restore an operator would do (README, "Backup and restore"): the restored platform starts with the same
/// certificate, signs in, reveals numbers and holds every registration answered before the backup began.
/// Runs on the suite's provider (PostgreSQL through pg_dump and pg_restore).
/// </summary>
public sealed class BackupTests(ITestOutputHelper log)
{
    sealed record Registration(string DocumentNumber, string Mobile, DateTime SentAt, DateTime AnsweredAt, string? Number);

    [Fact]
    public async Task ABackupTakenWhileThePlatformWritesRestoresWithItsCertificateAndHoldsEveryAnsweredWrite()
    {
        var clock = Stopwatch.StartNew();
        using var database = new TestDatabase();
        var provider = TestDatabase.Provider.ToString();
        var environment = AppProcess.Environment(provider, database.ConnectionString);
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "zhiyuan-tests", "backup_" + Guid.NewGuid().ToString("N"))).FullName;
        var backup = Path.Combine(folder, TestDatabase.Provider == DatabaseProvider.Sqlite ? "zhiyuan-backup.db" : "zhiyuan.dump");
        using var restored = new TestDatabase();
        try
        {
            var registrations = new ConcurrentQueue<Registration>();
            DateTime backupBegan, backupEnded;
            (int ExitCode, string Output, string Error) run;
            using (var app = AppProcess.Start(environment))
            {
                Assert.True(await app.WaitHealthyAsync(TimeSpan.FromSeconds(90)), app.Output);
                using var stop = new CancellationTokenSource();
                var next = 0;
                var writers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
                {
                    using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
                    while (!stop.IsCancellationRequested)
                    {
                        var i = Interlocked.Increment(ref next);
                        var id = People.ResidentId(new DateOnly(1990, 1, 1).AddDays(i), 100 + i % 900);
                        var mobile = "137" + i.ToString("D8");
                        var sent = DateTime.UtcNow;
                        using var response = await http.PostAsJsonAsync("/api/volunteers", People.Registration("备份" + i, id, mobile));
                        var number = response.StatusCode == HttpStatusCode.OK
                            ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("number").GetString()
                            : null;
                        registrations.Enqueue(new Registration(id, mobile, sent, DateTime.UtcNow, number));
                    }
                })).ToList();

                await Task.Delay(TimeSpan.FromSeconds(3));
                backupBegan = DateTime.UtcNow;
                run = await AppProcess.RunAsync(["backup", backup], environment);
                backupEnded = DateTime.UtcNow;
                // A little more writing after the backup, which the restore must simply not have.
                await Task.Delay(TimeSpan.FromSeconds(1));
                stop.Cancel();
                await Task.WhenAll(writers);
            }
            Assert.True(run.ExitCode == 0, run.Output + run.Error);
            // The one line also reminds the operator that the certificate is not in it.
            Assert.Contains("not in the backup", run.Output);
            Assert.Contains("DataProtection:CertificatePath", run.Output);
            Assert.Single(run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            var before = registrations.Where(r => r.Number is not null && r.AnsweredAt < backupBegan).ToList();
            var during = registrations.Count(r => r.SentAt < backupEnded && r.AnsweredAt > backupBegan);
            Assert.NotEmpty(before);
            Assert.DoesNotContain(registrations, r => r.Number is null);
            log.WriteLine($"backup: {run.Output.Trim()}");
            log.WriteLine($"{registrations.Count} registrations, {before.Count} answered 200 before the backup began, {during} in flight during its {(backupEnded - backupBegan).TotalSeconds:0.0} s, at {clock.Elapsed.TotalSeconds:0.0} s");

            // The restore, as the README tells it.
            var restoredEnvironment = new Dictionary<string, string?>(environment);
            if (TestDatabase.Provider == DatabaseProvider.Sqlite)
            {
                var file = new SqliteConnectionStringBuilder(restored.ConnectionString).DataSource;
                File.Copy(backup, file);
                restoredEnvironment["Database__ConnectionString"] = restored.ConnectionString;
            }
            else
            {
                var target = new NpgsqlConnectionStringBuilder(restored.ConnectionString);
                var pgRestore = Process.Start(new ProcessStartInfo(DatabaseCopy.PgTool("pg_restore"), ["--no-owner", "--exit-on-error", "--dbname=" + target.Database, backup])
                {
                    RedirectStandardError = true,
                    Environment = { ["PGHOST"] = target.Host, ["PGPORT"] = target.Port.ToString(), ["PGUSER"] = target.Username },
                })!;
                var said = await pgRestore.StandardError.ReadToEndAsync();
                await pgRestore.WaitForExitAsync();
                Assert.True(pgRestore.ExitCode == 0, said);
                restoredEnvironment["Database__ConnectionString"] = restored.ConnectionString;
            }

            var check = await AppProcess.RunAsync(["check"], restoredEnvironment);
            Assert.True(check.ExitCode == 0, check.Output + check.Error);
            using (var app = AppProcess.Start(restoredEnvironment))
            {
                Assert.True(await app.WaitHealthyAsync(TimeSpan.FromSeconds(90)), app.Output);
                using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
                var signIn = await http.PostAsJsonAsync("/api/auth/token", new { userName = "admin", password = AppProcess.AdminPassword });
                Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
                    (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString());
                var missing = new List<string>();
                foreach (var registration in before)
                {
                    using var response = await http.PostAsJsonAsync($"/api/volunteers/{registration.Number}/personal-data", new { reason = "恢复备份后核对" });
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        missing.Add($"{registration.Number}: {(int)response.StatusCode}");
                        continue;
                    }
                    var full = await response.Content.ReadFromJsonAsync<JsonElement>();
                    if (full.GetProperty("documentNumber").GetString() != registration.DocumentNumber || full.GetProperty("mobile").GetString() != registration.Mobile)
                    {
                        missing.Add($"{registration.Number}: other numbers");
                    }
                }
                Assert.True(missing.Count == 0, "answered before the backup but not restored: " + string.Join("; ", missing.Take(10)));
            }
            log.WriteLine($"restored on {provider}: check clean, signed in, all {before.Count} volunteers' numbers revealed, {clock.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task TheBackupCommandNeverOverwritesAFileAndSaysWhyInOneSentence()
    {
        using var database = new TestDatabase();
        var environment = AppProcess.Environment(TestDatabase.Provider.ToString(), database.ConnectionString);
        var existing = Path.GetTempFileName();
        try
        {
            var run = await AppProcess.RunAsync(["backup", existing], environment);

            Assert.Equal(1, run.ExitCode);
            Assert.Contains("already exists", run.Error);
            Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(0, new FileInfo(existing).Length);
        }
        finally
        {
            File.Delete(existing);
        }
    }
}
