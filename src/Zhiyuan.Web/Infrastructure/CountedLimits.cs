using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>How many times something keyed (a phone, a sender address) was done in one fixed window of time.</summary>
public sealed class LimitCounter
{
    public const int KeyMaxLength = 100;

    /// <summary>What is counted, e.g. "objection:" followed by a keyed hash of the sender's address; never a plain phone number or address.</summary>
    public required string Key { get; set; }

    /// <summary>The start of the window (an hour or a day, UTC).</summary>
    public DateTime WindowStartUtc { get; set; }

    public int Count { get; set; }
}

sealed class LimitCounterConfiguration : IEntityTypeConfiguration<LimitCounter>
{
    public void Configure(EntityTypeBuilder<LimitCounter> counter)
    {
        counter.HasKey(c => new { c.Key, c.WindowStartUtc });
        counter.Property(c => c.Key).HasMaxLength(LimitCounter.KeyMaxLength);
        counter.HasIndex(c => c.WindowStartUtc);
    }
}

/// <summary>
/// Limits such as "five objections an hour from one address" taken in one statement: an insert of the
/// window's counter, or an increment only while it is below the limit. Two nodes and a thousand
/// simultaneous requests still get exactly <c>limit</c> successes — never count-then-insert, which
/// lets every request that counted before the others inserted through. Call it inside the
/// transaction of what it counts, so a refused or failed action gives its place back.
/// </summary>
public static class CountedLimits
{
    /// <summary>Takes one of <paramref name="limit"/> uses of <paramref name="key"/> in the window that contains now; false when none is left.</summary>
    public static async Task<bool> TryTakeAsync(AppDbContext db, string key, TimeSpan window, int limit, DateTime nowUtc, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return false;
        }
        var windowStart = new DateTime(nowUtc.Ticks - nowUtc.Ticks % window.Ticks, DateTimeKind.Utc);
        // The same statement works on SQLite (3.35+) and PostgreSQL: the row lock of the upsert makes
        // concurrent takers of one key wait for each other, and the WHERE stops at the limit.
        var taken = await db.Database.SqlQuery<int>($"""
            INSERT INTO "LimitCounters" ("Key", "WindowStartUtc", "Count") VALUES ({key}, {windowStart}, 1)
            ON CONFLICT ("Key", "WindowStartUtc") DO UPDATE SET "Count" = "LimitCounters"."Count" + 1 WHERE "LimitCounters"."Count" < {limit}
            RETURNING "Count" AS "Value"
            """).ToListAsync(cancellationToken);
        return taken.Count == 1;
    }

    /// <summary>Uses already taken in the window that contains now (for messages; never for deciding).</summary>
    public static Task<int> UsedAsync(AppDbContext db, string key, TimeSpan window, DateTime nowUtc, CancellationToken cancellationToken)
    {
        var windowStart = new DateTime(nowUtc.Ticks - nowUtc.Ticks % window.Ticks, DateTimeKind.Utc);
        return db.LimitCounters.Where(c => c.Key == key && c.WindowStartUtc == windowStart).Select(c => c.Count).FirstOrDefaultAsync(cancellationToken);
    }
}
