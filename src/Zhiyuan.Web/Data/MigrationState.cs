using Microsoft.EntityFrameworkCore;

namespace Zhiyuan.Web.Data;

/// <summary>
/// Whether this node may serve: true once its database has every migration this build knows and the
/// start-up seeding has run. With Database:MigrateOnStart=false a node never migrates; while migrations
/// are pending it answers 503 to everything but /health (and /health/ready says not ready), checks
/// again every few seconds, and starts serving once `Zhiyuan.Web migrate` has been run.
/// </summary>
public sealed class MigrationState
{
    volatile bool current;
    readonly TaskCompletionSource becameCurrent = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Current => current;

    /// <summary>Background jobs wait here: on a database that lacks migrations their queries would only fail.</summary>
    public Task WaitCurrentAsync(CancellationToken cancellationToken) => becameCurrent.Task.WaitAsync(cancellationToken);

    /// <summary>The migrations the database still lacks when the node last looked (empty once current).</summary>
    public IReadOnlyList<string> Pending { get; private set; } = [];

    internal void MarkCurrent()
    {
        Pending = [];
        current = true;
        becameCurrent.TrySetResult();
    }

    internal void MarkPending(IReadOnlyList<string> pending)
    {
        Pending = pending;
        current = false;
    }

    /// <summary>The migrations this build knows that the database has not applied.</summary>
    public static async Task<List<string>> PendingAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
    }

    /// <summary>
    /// Start-up with Database:MigrateOnStart=false: seeds and marks the node current when the database is,
    /// otherwise logs why it does not serve and keeps looking every <paramref name="every"/> until it is.
    /// Returns a sentence when the database cannot be reached or seeded.
    /// </summary>
    public static async Task<string?> WaitForMigrationsAsync(IServiceProvider services, Func<Task<string?>> seed, TimeSpan every, CancellationToken stopping)
    {
        var state = services.GetRequiredService<MigrationState>();
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("Zhiyuan.Web.Data.Migrations");
        List<string> pending;
        try
        {
            pending = await PendingAsync(services, stopping);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // MigrateAndSeedAsync (below, without migrating) turns an unreachable database into one sentence.
            return await DatabaseSetup.MigrateAndSeedAsync(services, seed, migrate: false);
        }
        if (pending.Count == 0)
        {
            var error = await DatabaseSetup.MigrateAndSeedAsync(services, seed, migrate: false);
            if (error is null)
            {
                state.MarkCurrent();
            }
            return error;
        }
        state.MarkPending(pending);
        log.LogCritical("The database lacks {Count} migrations of this version ({First} … {Last}) and Database:MigrateOnStart is false: this node does not serve (503, /health/ready not ready) until `Zhiyuan.Web migrate` has been run (数据库尚未迁移，本节点暂不提供服务，请先运行 migrate 命令)",
            pending.Count, pending[0], pending[^1]);
        _ = Task.Run(async () =>
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(every, stopping);
                    var still = await PendingAsync(services, stopping);
                    if (still.Count > 0)
                    {
                        state.MarkPending(still);
                        continue;
                    }
                    var error = await DatabaseSetup.MigrateAndSeedAsync(services, seed, migrate: false);
                    if (error is null)
                    {
                        state.MarkCurrent();
                        log.LogWarning("The database has been migrated: this node serves now (数据库已迁移，本节点开始提供服务)");
                        return;
                    }
                    log.LogError("The database has been migrated but this node could not start serving: {Error}", error);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception ex)
                {
                    log.LogWarning(ex, "Looking for pending migrations failed; looking again shortly");
                }
            }
        }, CancellationToken.None);
        return null;
    }
}
