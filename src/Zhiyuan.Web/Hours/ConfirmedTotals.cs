using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Hours;

/// <summary>
/// A volunteer's confirmed minutes in all: the sum of the active ledger entries (confirmations and
/// corrections no reversal points at), kept by the database itself. A trigger on the ledger adds each
/// credit and takes each reversed credit away in the same statement that writes the entry, so the
/// total is committed with the entry or not at all, whoever writes it (a page, the API, an import, a
/// seed); the increment is one atomic upsert, so concurrent confirmations never lose one another.
/// The integrity check compares it with the ledger. See <see cref="ConfirmedTotalsSql"/>.
/// </summary>
public sealed class ConfirmedTotal
{
    public Guid VolunteerId { get; set; }

    public Volunteer? Volunteer { get; set; }

    public int Minutes { get; set; }

    /// <summary>
    /// The volunteer's unit, kept beside the total (by the ledger trigger when the row is made and by a
    /// trigger on the volunteer when it changes), so that a county's stars page picks its candidates from
    /// the totals alone rather than looking each one up among the province's volunteers. The integrity
    /// check compares it with the volunteer's.
    /// </summary>
    public Guid UnitId { get; set; }
}

/// <summary>A volunteer's confirmed minutes of one China calendar year, by the China date on which the credited service started.</summary>
public sealed class ConfirmedYearTotal
{
    public Guid VolunteerId { get; set; }

    public Volunteer? Volunteer { get; set; }

    public int Year { get; set; }

    public int Minutes { get; set; }
}

sealed class ConfirmedTotalConfiguration : IEntityTypeConfiguration<ConfirmedTotal>
{
    public void Configure(EntityTypeBuilder<ConfirmedTotal> total)
    {
        total.HasKey(t => t.VolunteerId);
        total.HasOne(t => t.Volunteer).WithOne().HasForeignKey<ConfirmedTotal>(t => t.VolunteerId).OnDelete(DeleteBehavior.Restrict);
        // The stars page reads the volunteers past the first threshold.
        total.HasIndex(t => t.Minutes);
        // …and those of a subtree's units.
        total.HasIndex(t => new { t.UnitId, t.Minutes });
    }
}

sealed class ConfirmedYearTotalConfiguration : IEntityTypeConfiguration<ConfirmedYearTotal>
{
    public void Configure(EntityTypeBuilder<ConfirmedYearTotal> total)
    {
        total.HasKey(t => new { t.VolunteerId, t.Year });
        total.HasOne(t => t.Volunteer).WithMany().HasForeignKey(t => t.VolunteerId).OnDelete(DeleteBehavior.Restrict);
        // The honour roll: a year's volunteers, most minutes first.
        total.HasIndex(t => new { t.Year, t.Minutes });
    }
}

/// <summary>
/// The SQL that keeps <see cref="ConfirmedTotal"/> and <see cref="ConfirmedYearTotal"/> (migration
/// ConfirmedTotals): the ledger triggers of each provider and the fill from an existing ledger. A
/// year is the China year (UTC+8, as <see cref="Infrastructure.ChinaTime"/>) of the credited entry's
/// start; a reversal takes away the minutes of the entry it reverses, in that entry's year. On
/// PostgreSQL the upsert locks the volunteer's total rows after the volunteer row every ledger
/// writer locks first (Data/RowLocks.cs), so the lock order stays volunteer → session → sign-up → totals.
/// </summary>
public static class ConfirmedTotalsSql
{
    /// <summary>The China year of a timestamp column, per provider.</summary>
    public static string ChinaYear(bool postgres, string column) => postgres
        ? $"CAST(EXTRACT(YEAR FROM ({column} AT TIME ZONE 'UTC') + INTERVAL '8 hours') AS integer)"
        : $"CAST(strftime('%Y', {column}, '+8 hours') AS INTEGER)";

    /// <summary>Active entries (credits no reversal points at), aliased e.</summary>
    const string ActiveEntries = """
        "LedgerEntries" e WHERE e."Kind" <> 'Reversal' AND NOT EXISTS (SELECT 1 FROM "LedgerEntries" r WHERE r."ReversesEntryId" = e."Id")
        """;

    /// <summary>
    /// Fills both tables from the ledger (run once, by the migration ConfirmedTotals, on empty tables; the benchmark generator runs it
    /// after its COPY). <paramref name="keepsUnit"/>: the totals carry the volunteer's unit (migration TotalsKeepTheUnit on).
    /// </summary>
    public static string Fill(bool postgres, bool keepsUnit = true) => $"""
        INSERT INTO "ConfirmedTotals" ("VolunteerId", "Minutes")
        SELECT e."VolunteerId", SUM(e."Minutes") FROM {ActiveEntries} GROUP BY e."VolunteerId";
        {(keepsUnit ? FillUnit : "")}
        INSERT INTO "ConfirmedYearTotals" ("VolunteerId", "Year", "Minutes")
        SELECT e."VolunteerId", {ChinaYear(postgres, "e.\"StartUtc\"")}, SUM(e."Minutes") FROM {ActiveEntries}
        GROUP BY e."VolunteerId", {ChinaYear(postgres, "e.\"StartUtc\"")};
        """;

    /// <summary>
    /// For a migration that fills kept sums from the ledger while other nodes may still be writing to it: holds the
    /// ledger's writes (reads go on) until the migration's transaction commits, so that no entry falls between the
    /// fill's snapshot and the trigger that counts the entries after it. SQLite's migration holds the only write lock anyway.
    /// </summary>
    public const string LockLedgerPostgres = """LOCK TABLE "LedgerEntries" IN SHARE MODE;""";

    /// <summary>Each total's unit from its volunteer (the migration TotalsKeepTheUnit, on the totals made before it).</summary>
    public const string FillUnit = """
        UPDATE "ConfirmedTotals" SET "UnitId" = (SELECT v."UnitId" FROM "Volunteers" v WHERE v."Id" = "ConfirmedTotals"."VolunteerId");
        """;

    /// <summary>
    /// The new total row's columns and values: with the volunteer's unit once the totals keep it. Every ledger writer
    /// holds the volunteer's row lock (Data/RowLocks.cs), so no move of the volunteer to another unit can commit
    /// between this read and the row's insert.
    /// </summary>
    static (string Columns, string Values) NewTotal(bool keepsUnit, string volunteer, string minutes) => keepsUnit
        ? ("\"VolunteerId\", \"Minutes\", \"UnitId\"", $"{volunteer}, {minutes}, (SELECT v.\"UnitId\" FROM \"Volunteers\" v WHERE v.\"Id\" = {volunteer})")
        : ("\"VolunteerId\", \"Minutes\"", $"{volunteer}, {minutes}");

    /// <summary>The trigger's name on "LedgerEntries" (PostgreSQL; SQLite has two, for credits and reversals).</summary>
    public const string PostgresTrigger = "LedgerEntries_totals";

    /// <summary>The ledger trigger's function; CREATE OR REPLACE, so that a migration can change it in place.</summary>
    public static string PostgresFunction(bool keepsUnit)
    {
        var (columns, values) = NewTotal(keepsUnit, "v_volunteer", "v_minutes");
        return $"""
            CREATE OR REPLACE FUNCTION ledger_entry_totals() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                v_volunteer uuid := NEW."VolunteerId";
                v_minutes integer := NEW."Minutes";
                v_started timestamptz := NEW."StartUtc";
            BEGIN
                IF NEW."Kind" = 'Reversal' THEN
                    SELECT e."VolunteerId", -e."Minutes", e."StartUtc" INTO v_volunteer, v_minutes, v_started
                    FROM "LedgerEntries" e WHERE e."Id" = NEW."ReversesEntryId" AND e."Kind" <> 'Reversal';
                    IF NOT FOUND THEN RETURN NULL; END IF;
                END IF;
                INSERT INTO "ConfirmedTotals" AS t ({columns}) VALUES ({values})
                    ON CONFLICT ("VolunteerId") DO UPDATE SET "Minutes" = t."Minutes" + EXCLUDED."Minutes";
                INSERT INTO "ConfirmedYearTotals" AS t ("VolunteerId", "Year", "Minutes") VALUES (v_volunteer, {ChinaYear(true, "v_started")}, v_minutes)
                    ON CONFLICT ("VolunteerId", "Year") DO UPDATE SET "Minutes" = t."Minutes" + EXCLUDED."Minutes";
                RETURN NULL;
            END $$;
            """;
    }

    public static string CreatePostgres(bool keepsUnit) => PostgresFunction(keepsUnit) + $"""

        CREATE TRIGGER "{PostgresTrigger}" AFTER INSERT ON "LedgerEntries" FOR EACH ROW EXECUTE FUNCTION ledger_entry_totals();
        """;

    public const string DropPostgres = """DROP TRIGGER "LedgerEntries_totals" ON "LedgerEntries"; DROP FUNCTION ledger_entry_totals();""";

    /// <summary>A volunteer moved to another unit takes their total with them (no page moves one today; an operator's fix may).</summary>
    public const string CreateUnitFollowsPostgres = """
        CREATE FUNCTION volunteer_unit_totals() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE "ConfirmedTotals" SET "UnitId" = NEW."UnitId" WHERE "VolunteerId" = NEW."Id";
            RETURN NULL;
        END $$;
        CREATE TRIGGER "Volunteers_totals_unit" AFTER UPDATE OF "UnitId" ON "Volunteers" FOR EACH ROW
            WHEN (OLD."UnitId" IS DISTINCT FROM NEW."UnitId") EXECUTE FUNCTION volunteer_unit_totals();
        """;

    public const string DropUnitFollowsPostgres = """DROP TRIGGER "Volunteers_totals_unit" ON "Volunteers"; DROP FUNCTION volunteer_unit_totals();""";

    public const string CreateUnitFollowsSqlite = """
        CREATE TRIGGER "Volunteers_totals_unit" AFTER UPDATE OF "UnitId" ON "Volunteers" WHEN OLD."UnitId" <> NEW."UnitId"
        BEGIN
            UPDATE "ConfirmedTotals" SET "UnitId" = NEW."UnitId" WHERE "VolunteerId" = NEW."Id";
        END;
        """;

    public const string DropUnitFollowsSqlite = """DROP TRIGGER "Volunteers_totals_unit";""";

    // SQLite serialises write transactions, so "insert if missing, then add" cannot interleave.
    public static string CreateSqliteCredit(bool keepsUnit)
    {
        var (columns, values) = NewTotal(keepsUnit, "NEW.\"VolunteerId\"", "0");
        return $"""
            CREATE TRIGGER "LedgerEntries_totals_credit" AFTER INSERT ON "LedgerEntries" WHEN NEW."Kind" <> 'Reversal'
            BEGIN
                INSERT OR IGNORE INTO "ConfirmedTotals" ({columns}) VALUES ({values});
                UPDATE "ConfirmedTotals" SET "Minutes" = "Minutes" + NEW."Minutes" WHERE "VolunteerId" = NEW."VolunteerId";
                INSERT OR IGNORE INTO "ConfirmedYearTotals" ("VolunteerId", "Year", "Minutes") VALUES (NEW."VolunteerId", {ChinaYear(false, "NEW.\"StartUtc\"")}, 0);
                UPDATE "ConfirmedYearTotals" SET "Minutes" = "Minutes" + NEW."Minutes"
                WHERE "VolunteerId" = NEW."VolunteerId" AND "Year" = {ChinaYear(false, "NEW.\"StartUtc\"")};
            END;
            """;
    }

    public const string DropSqliteCredit = """DROP TRIGGER "LedgerEntries_totals_credit";""";

    public static readonly string CreateSqliteReversal = $"""
        CREATE TRIGGER "LedgerEntries_totals_reversal" AFTER INSERT ON "LedgerEntries" WHEN NEW."Kind" = 'Reversal'
        BEGIN
            UPDATE "ConfirmedTotals" SET "Minutes" = "Minutes" - (SELECT e."Minutes" FROM "LedgerEntries" e WHERE e."Id" = NEW."ReversesEntryId")
            WHERE "VolunteerId" = (SELECT e."VolunteerId" FROM "LedgerEntries" e WHERE e."Id" = NEW."ReversesEntryId" AND e."Kind" <> 'Reversal');
            UPDATE "ConfirmedYearTotals" SET "Minutes" = "Minutes" - (SELECT e."Minutes" FROM "LedgerEntries" e WHERE e."Id" = NEW."ReversesEntryId")
            WHERE ("VolunteerId", "Year") = (SELECT e."VolunteerId", {ChinaYear(false, "e.\"StartUtc\"")} FROM "LedgerEntries" e
                                               WHERE e."Id" = NEW."ReversesEntryId" AND e."Kind" <> 'Reversal');
        END;
        """;

    public const string DropSqlite = """DROP TRIGGER "LedgerEntries_totals_credit"; DROP TRIGGER "LedgerEntries_totals_reversal";""";
}
