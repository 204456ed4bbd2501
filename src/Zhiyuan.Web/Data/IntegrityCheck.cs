using System.Data.Common;
using Microsoft.EntityFrameworkCore;

namespace Zhiyuan.Web.Data;

/// <summary>One broken promise found in the database: which invariant (see ADR 0011) and the rows that break it.</summary>
public sealed record IntegrityViolation(string Invariant, string Detail)
{
    public override string ToString() => $"{Invariant}: {Detail}";
}

/// <summary>
/// Reads the whole database and lists every broken invariant. The constraints and conditional
/// updates are meant to make this list empty forever; the check proves it after a race, a crash or
/// an upgrade, and tells an operator exactly which rows to look at when it is not. Read-only; the
/// same SQL on SQLite and PostgreSQL.
/// </summary>
public static class IntegrityCheck
{
    const string Credit = "\"Kind\" <> 'Reversal'";

    /// <summary>Each invariant's query: every row it returns is one violation, described by the format.</summary>
    static readonly (string Invariant, string Sql, Func<object[], string> Describe)[] Checks =
    [
        ("sessions.accepted",
            """
            SELECT s."Id", s."Capacity", s."Accepted", COALESCE(c."Accepted", 0) FROM "ActivitySessions" s
            LEFT JOIN (SELECT "SessionId", COUNT(*) AS "Accepted" FROM "SignUps" WHERE "Status" = 'Accepted' AND NOT "WalkIn" GROUP BY "SessionId") c ON c."SessionId" = s."Id"
            WHERE s."Accepted" < 0 OR s."Accepted" > s."Capacity" OR s."Accepted" <> COALESCE(c."Accepted", 0)
            """,
            r => $"session {r[0]}: capacity {r[1]}, counter {r[2]}, accepted sign-ups {r[3]} (walk-ins hold no place)"),
        ("sessions.waitlisted",
            """
            SELECT s."Id", s."Waitlisted", COALESCE(c."Waiting", 0), s."WaitlistIssued", COALESCE(c."LastTicket", 0) FROM "ActivitySessions" s
            LEFT JOIN (SELECT "SessionId", COUNT(*) AS "Waiting", MAX("WaitlistTicket") AS "LastTicket" FROM "SignUps" WHERE "Status" = 'Waitlisted' GROUP BY "SessionId") c
              ON c."SessionId" = s."Id"
            WHERE s."Waitlisted" <> COALESCE(c."Waiting", 0) OR s."WaitlistIssued" < COALESCE(c."LastTicket", 0)
            """,
            r => $"session {r[0]}: counter {r[1]}, waitlisted sign-ups {r[2]}, tickets issued {r[3]}, highest ticket held {r[4]}"),
        ("signups.ticket",
            """SELECT "Id", "SessionId" FROM "SignUps" WHERE "Status" = 'Waitlisted' AND "WaitlistTicket" IS NULL""",
            r => $"sign-up {r[0]} (session {r[1]}) is waitlisted without a place in the queue"),
        ("signups.ledger",
            """
            SELECT u."Id", u."LedgerEntryId" FROM "SignUps" u LEFT JOIN "LedgerEntries" e ON e."Id" = u."LedgerEntryId"
            WHERE u."LedgerEntryId" IS NOT NULL AND (e."Id" IS NULL OR e."SessionId" <> u."SessionId" OR e."VolunteerId" <> u."VolunteerId")
            """,
            r => $"sign-up {r[0]} points at ledger entry {r[1]}, which is not a credit of the same volunteer and session"),
        ("signups.absent",
            """SELECT "Id", "SessionId" FROM "SignUps" WHERE "AbsenceReason" IS NOT NULL AND ("LedgerEntryId" IS NOT NULL OR "Status" <> 'Accepted')""",
            r => $"sign-up {r[0]} (session {r[1]}) is marked absent yet credited or not accepted"),
        ("ledger.credit",
            $"""SELECT "Id", "Minutes", "StartUtc", "EndUtc" FROM "LedgerEntries" WHERE {Credit} AND ("Minutes" < 0 OR "EndUtc" <= "StartUtc" OR "ReversesEntryId" IS NOT NULL)""",
            r => $"credit {r[0]} has {r[1]} minutes for {r[2]:u}–{r[3]:u}"),
        ("ledger.reversal",
            """
            SELECT r."Id", r."ReversesEntryId" FROM "LedgerEntries" r LEFT JOIN "LedgerEntries" e ON e."Id" = r."ReversesEntryId"
            WHERE r."Kind" = 'Reversal' AND (e."Id" IS NULL OR e."Kind" = 'Reversal' OR e."VolunteerId" <> r."VolunteerId" OR e."SessionId" <> r."SessionId" OR r."Minutes" <> -e."Minutes")
            """,
            r => $"reversal {r[0]} does not exactly cancel a credit of the same volunteer and session (it names {r[1]})"),
        ("ledger.activity",
            """SELECT e."Id", e."ActivityId", s."ActivityId" FROM "LedgerEntries" e JOIN "ActivitySessions" s ON s."Id" = e."SessionId" WHERE e."ActivityId" <> s."ActivityId" """,
            r => $"ledger entry {r[0]} names activity {r[1]} but its session belongs to {r[2]}"),
        ("credits.missing",
            $"""
            SELECT e."Id", e."VolunteerId", e."SessionId" FROM "LedgerEntries" e
            WHERE e.{Credit} AND NOT EXISTS (SELECT 1 FROM "LedgerEntries" r WHERE r."ReversesEntryId" = e."Id")
              AND NOT EXISTS (SELECT 1 FROM "EffectiveCredits" c WHERE c."EntryId" = e."Id")
            """,
            r => $"credit {r[0]} of volunteer {r[1]} in session {r[2]} credits no time: it repeats or overlaps another credit of the volunteer (reverse one of them)"),
        ("credits.stale",
            $"""
            SELECT c."EntryId", c."StartUtc" FROM "EffectiveCredits" c LEFT JOIN "LedgerEntries" e ON e."Id" = c."EntryId"
            WHERE e."Id" IS NULL OR NOT (e.{Credit}) OR EXISTS (SELECT 1 FROM "LedgerEntries" r WHERE r."ReversesEntryId" = e."Id")
               OR e."VolunteerId" <> c."VolunteerId" OR e."SessionId" <> c."SessionId" OR c."StartUtc" < e."StartUtc" OR c."EndUtc" > e."EndUtc"
            """,
            r => $"the stretch from {r[1]:u} of entry {r[0]} is not inside an unreversed credit of the same volunteer and session"),
        ("credits.overlap",
            """
            SELECT a."EntryId", b."EntryId", a."VolunteerId", a."StartUtc", b."StartUtc" FROM "EffectiveCredits" a
            JOIN "EffectiveCredits" b ON b."VolunteerId" = a."VolunteerId" AND (a."EntryId" < b."EntryId" OR (a."EntryId" = b."EntryId" AND a."StartUtc" < b."StartUtc"))
             AND a."StartUtc" < b."EndUtc" AND b."StartUtc" < a."EndUtc"
            """,
            r => $"credits {r[0]} (from {r[3]:u}) and {r[1]} (from {r[4]:u}) of volunteer {r[2]} overlap in time"),
        ("backentries.ledger",
            """
            SELECT e."Id", e."ActivityId", e."IsBackEntry", a."IsBackEntry" FROM "LedgerEntries" e JOIN "Activities" a ON a."Id" = e."ActivityId"
            WHERE e."IsBackEntry" <> a."IsBackEntry"
               OR (a."IsBackEntry" AND NOT EXISTS (SELECT 1 FROM "BackEntries" b WHERE b."ActivityId" = a."Id" AND b."Status" = 'Approved'))
            """,
            r => $"ledger entry {r[0]} of activity {r[1]} is marked back-entered {r[2]} for an activity marked {r[3]}, or credits a back-entry that is not approved"),
        ("reports.frozen",
            """SELECT "Id", "Status" FROM "CampaignReports" WHERE "Status" IN ('Submitted', 'Approved') AND ("FrozenTable" IS NULL OR "FrozenAtUtc" IS NULL)""",
            r => $"report {r[0]} is {r[1]} without its frozen table"),
        ("slots.booked",
            """
            SELECT s."Id", s."Capacity", s."Booked", COALESCE(o."Holding", 0) FROM "ServiceSlots" s
            LEFT JOIN (SELECT "SlotId", COUNT(*) AS "Holding" FROM "CitizenOrders" WHERE "SlotId" IS NOT NULL AND "Status" <> 'Cancelled' GROUP BY "SlotId") o ON o."SlotId" = s."Id"
            WHERE s."Booked" < 0 OR s."Booked" > s."Capacity" OR s."Booked" <> COALESCE(o."Holding", 0)
            """,
            r => $"time slot {r[0]}: capacity {r[1]}, counter {r[2]}, orders holding it {r[3]}"),
        ("orders.activity",
            """SELECT "Id" FROM "CitizenOrders" WHERE "Status" = 'Cancelled' AND ("ActivityId" IS NOT NULL OR "SessionId" IS NOT NULL)""",
            r => $"cancelled order {r[0]} still holds an activity"),
        ("orders.served",
            """SELECT "Id", "Status" FROM "CitizenOrders" WHERE "Status" IN ('Accepted', 'Completed', 'Rated') AND ("ActivityId" IS NULL OR "SessionId" IS NULL)""",
            r => $"order {r[0]} is {r[1]} without the activity its volunteers serve in"),
    ];

    /// <summary>Every invariant the database breaks, or an empty list.</summary>
    public static async Task<List<IntegrityViolation>> FindViolationsAsync(AppDbContext db, CancellationToken cancellationToken = default)
    {
        var violations = new List<IntegrityViolation>();
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await connection.OpenAsync(cancellationToken);
        }
        try
        {
            foreach (var (invariant, sql, describe) in Checks.Concat(TotalsChecks(db.Database.IsNpgsql())))
            {
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                command.CommandTimeout = 0;
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    violations.Add(new IntegrityViolation(invariant, describe(Values(reader))));
                }
            }
        }
        finally
        {
            if (opened)
            {
                await connection.CloseAsync();
            }
        }
        return violations;
    }

    /// <summary>The names of the invariants checked, for the operator's summary line.</summary>
    public static IReadOnlyList<string> Invariants => Checks.Concat(TotalsChecks(postgres: false)).Select(c => c.Invariant).ToList();

    /// <summary>
    /// The kept totals (Hours/ConfirmedTotals.cs, Hours/SessionTotals.cs) against what they keep: every volunteer whose
    /// kept minutes, in all or in a China year, differ from the active entries' minutes, or whose kept unit is not theirs;
    /// every session whose kept person-times or minutes differ from its entries'. The year is written per provider; the
    /// rest is the same SQL.
    /// </summary>
    static IEnumerable<(string Invariant, string Sql, Func<object[], string> Describe)> TotalsChecks(bool postgres)
    {
        const string active = $"""FROM "LedgerEntries" e WHERE e.{Credit} AND NOT EXISTS (SELECT 1 FROM "LedgerEntries" r WHERE r."ReversesEntryId" = e."Id")""";
        yield return ("totals.ledger",
            $"""
            SELECT x."VolunteerId", SUM(x."Ledger"), SUM(x."Kept") FROM (
                SELECT e."VolunteerId", e."Minutes" AS "Ledger", 0 AS "Kept" {active}
                UNION ALL SELECT t."VolunteerId", 0, t."Minutes" FROM "ConfirmedTotals" t) x
            GROUP BY x."VolunteerId" HAVING SUM(x."Ledger") <> SUM(x."Kept")
            """,
            r => $"volunteer {r[0]}: the ledger confirms {r[1]} minutes, the kept total says {r[2]}");
        var year = Hours.ConfirmedTotalsSql.ChinaYear(postgres, "e.\"StartUtc\"");
        yield return ("totals.year",
            $"""
            SELECT x."VolunteerId", x."Year", SUM(x."Ledger"), SUM(x."Kept") FROM (
                SELECT e."VolunteerId", {year} AS "Year", e."Minutes" AS "Ledger", 0 AS "Kept" {active}
                UNION ALL SELECT t."VolunteerId", t."Year", 0, t."Minutes" FROM "ConfirmedYearTotals" t) x
            GROUP BY x."VolunteerId", x."Year" HAVING SUM(x."Ledger") <> SUM(x."Kept")
            """,
            r => $"volunteer {r[0]} in {r[1]}: the ledger confirms {r[2]} minutes, the kept total says {r[3]}");
        yield return ("totals.unit",
            """
            SELECT t."VolunteerId", v."UnitId", t."UnitId" FROM "ConfirmedTotals" t JOIN "Volunteers" v ON v."Id" = t."VolunteerId"
            WHERE v."UnitId" <> t."UnitId"
            """,
            r => $"volunteer {r[0]} is in unit {r[1]}, the kept total says {r[2]}");
        yield return ("totals.session",
            """
            SELECT x."SessionId", SUM(x."LedgerTimes"), SUM(x."LedgerMinutes"), SUM(x."KeptTimes"), SUM(x."KeptMinutes") FROM (
                SELECT e."SessionId", CASE WHEN e."Kind" = 'Reversal' THEN -1 ELSE 1 END AS "LedgerTimes", e."Minutes" AS "LedgerMinutes",
                       0 AS "KeptTimes", 0 AS "KeptMinutes" FROM "LedgerEntries" e
                UNION ALL SELECT t."SessionId", 0, 0, t."PersonTimes", t."Minutes" FROM "SessionTotals" t) x
            GROUP BY x."SessionId" HAVING SUM(x."LedgerTimes") <> SUM(x."KeptTimes") OR SUM(x."LedgerMinutes") <> SUM(x."KeptMinutes")
            """,
            r => $"session {r[0]}: the ledger counts {r[1]} person-times and {r[2]} minutes, the kept total says {r[3]} and {r[4]}");
    }

    static object[] Values(DbDataReader reader)
    {
        var values = new object[reader.FieldCount];
        reader.GetValues(values);
        return values;
    }
}
