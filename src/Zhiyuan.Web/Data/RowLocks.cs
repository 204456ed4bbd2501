using Microsoft.EntityFrameworkCore;

namespace Zhiyuan.Web.Data;

/// <summary>
/// Row locks that make "check, then write" safe for one volunteer or one session inside a
/// transaction. On PostgreSQL (READ COMMITTED) a later statement of the locking transaction sees
/// everything committed before the lock was granted, so a second request for the same volunteer
/// waits and then checks against the first one's result. On SQLite every write transaction is
/// already serialised (BEGIN IMMEDIATE), so there is nothing to lock. Locks are always taken in the
/// same order — volunteers (by id), then the session, then sign-ups — so two requests never wait
/// for each other in a circle.
/// </summary>
public static class RowLocks
{
    public static async Task LockVolunteersAsync(this AppDbContext db, IEnumerable<Guid> volunteerIds, CancellationToken cancellationToken)
    {
        var ids = volunteerIds.Distinct().Order().ToArray();
        if (ids.Length > 0 && db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "Volunteers" WHERE "Id" = ANY({ids}) ORDER BY "Id" FOR UPDATE""", cancellationToken);
        }
    }

    public static async Task LockSessionAsync(this AppDbContext db, Guid sessionId, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "ActivitySessions" WHERE "Id" = {sessionId} FOR UPDATE""", cancellationToken);
        }
    }
}
