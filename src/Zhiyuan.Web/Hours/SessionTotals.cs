using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Activities;

namespace Zhiyuan.Web.Hours;

/// <summary>
/// A session's ledger summed: person-times (a confirmation or correction +1, a reversal −1, so a
/// corrected attendance counts once) and minutes (a reversal's are negative) of every entry of the
/// session — exactly what the campaign table counts for it (Campaigns/ReportCalculator.cs). Kept by
/// the database like the volunteers' totals: a trigger on the ledger adds each entry in the statement
/// that writes it, by one atomic upsert. The weekly table reads a period's sessions' sums here instead
/// of summing their ledger entries; a table as of a past moment still sums the ledger as it stood. The
/// integrity check compares them with the ledger (<c>totals.session</c>).
/// </summary>
public sealed class SessionTotal
{
    public Guid SessionId { get; set; }

    public ActivitySession? Session { get; set; }

    public int PersonTimes { get; set; }

    public int Minutes { get; set; }
}

sealed class SessionTotalConfiguration : IEntityTypeConfiguration<SessionTotal>
{
    public void Configure(EntityTypeBuilder<SessionTotal> total)
    {
        total.HasKey(t => t.SessionId);
        total.HasOne(t => t.Session).WithOne().HasForeignKey<SessionTotal>(t => t.SessionId).OnDelete(DeleteBehavior.Restrict);
    }
}

/// <summary>
/// The SQL that keeps <see cref="SessionTotal"/> (migration SessionTotals): the ledger trigger of each provider and the fill
/// from an existing ledger. On PostgreSQL the upsert locks the session's total row last, after the volunteer and session rows
/// every ledger writer locks first (Data/RowLocks.cs).
/// </summary>
public static class SessionTotalsSql
{
    /// <summary>Fills the table from the ledger (the migration, on an empty table; the benchmark generator after its COPY).</summary>
    public const string Fill = """
        INSERT INTO "SessionTotals" ("SessionId", "PersonTimes", "Minutes")
        SELECT e."SessionId", SUM(CASE WHEN e."Kind" = 'Reversal' THEN -1 ELSE 1 END), SUM(e."Minutes") FROM "LedgerEntries" e GROUP BY e."SessionId";
        """;

    public const string PostgresTrigger = "LedgerEntries_session_totals";

    public const string CreatePostgres = """
        CREATE FUNCTION ledger_entry_session_totals() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO "SessionTotals" AS t ("SessionId", "PersonTimes", "Minutes")
                VALUES (NEW."SessionId", CASE WHEN NEW."Kind" = 'Reversal' THEN -1 ELSE 1 END, NEW."Minutes")
                ON CONFLICT ("SessionId") DO UPDATE SET "PersonTimes" = t."PersonTimes" + EXCLUDED."PersonTimes", "Minutes" = t."Minutes" + EXCLUDED."Minutes";
            RETURN NULL;
        END $$;
        CREATE TRIGGER "LedgerEntries_session_totals" AFTER INSERT ON "LedgerEntries" FOR EACH ROW EXECUTE FUNCTION ledger_entry_session_totals();
        """;

    public const string DropPostgres = """DROP TRIGGER "LedgerEntries_session_totals" ON "LedgerEntries"; DROP FUNCTION ledger_entry_session_totals();""";

    // SQLite serialises write transactions, so "insert if missing, then add" cannot interleave.
    public const string CreateSqlite = """
        CREATE TRIGGER "LedgerEntries_session_totals" AFTER INSERT ON "LedgerEntries"
        BEGIN
            INSERT OR IGNORE INTO "SessionTotals" ("SessionId", "PersonTimes", "Minutes") VALUES (NEW."SessionId", 0, 0);
            UPDATE "SessionTotals" SET "PersonTimes" = "PersonTimes" + CASE WHEN NEW."Kind" = 'Reversal' THEN -1 ELSE 1 END, "Minutes" = "Minutes" + NEW."Minutes"
            WHERE "SessionId" = NEW."SessionId";
        END;
        """;

    public const string DropSqlite = """DROP TRIGGER "LedgerEntries_session_totals";""";
}
