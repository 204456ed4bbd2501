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

    public static Task LockSessionAsync(this AppDbContext db, Guid sessionId, CancellationToken cancellationToken) =>
        db.LockRowAsync(Table.ActivitySessions, sessionId, cancellationToken);

    /// <summary>The tables whose rows guard a "count, then add" of their children (photos, nominations, a report's changes).</summary>
    public enum Table
    {
        ActivitySessions,
        Activities,
        Nominations,
        CommendationRounds,
        CampaignReports,
    }

    /// <summary>Locks one row, for a check of its children that must hold until the transaction commits.</summary>
    public static async Task LockRowAsync(this AppDbContext db, Table table, Guid id, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            // The table name comes from the enum above, never from input.
            var sql = "SELECT 1 FROM \"" + table + "\" WHERE \"Id\" = {0} FOR UPDATE";
            await db.Database.ExecuteSqlRawAsync(sql, [id], cancellationToken);
        }
    }
}
