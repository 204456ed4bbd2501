namespace Zhiyuan.Web.Data;

/// <summary>
/// SQL of migration "Integrity" that both providers share: bringing existing rows in line with the
/// new constraints before they are added, so the upgrade of a database written by an older version
/// (which could overbook or credit twice) succeeds, and what it could not repair is reported by the
/// integrity check instead of being dropped.
/// </summary>
static class IntegritySql
{
    /// <summary>Counters recounted from the rows; a session or slot overbooked in the past keeps the people it accepted, so its capacity is raised to match.</summary>
    public const string RecountCounters = """
        UPDATE "SignUps" SET "WaitlistTicket" = (
            SELECT COUNT(*) FROM "SignUps" w WHERE w."SessionId" = "SignUps"."SessionId" AND w."Status" = 'Waitlisted'
              AND (w."RequestedAtUtc" < "SignUps"."RequestedAtUtc" OR (w."RequestedAtUtc" = "SignUps"."RequestedAtUtc" AND w."Id" <= "SignUps"."Id")))
        WHERE "Status" = 'Waitlisted';
        UPDATE "ActivitySessions" SET
            "Accepted" = (SELECT COUNT(*) FROM "SignUps" u WHERE u."SessionId" = "ActivitySessions"."Id" AND u."Status" = 'Accepted'),
            "Waitlisted" = (SELECT COUNT(*) FROM "SignUps" u WHERE u."SessionId" = "ActivitySessions"."Id" AND u."Status" = 'Waitlisted'),
            "WaitlistIssued" = (SELECT COUNT(*) FROM "SignUps" u WHERE u."SessionId" = "ActivitySessions"."Id" AND u."Status" = 'Waitlisted');
        UPDATE "ActivitySessions" SET "Capacity" = "Accepted" WHERE "Accepted" > "Capacity";
        UPDATE "ServiceSlots" SET "Booked" = (SELECT COUNT(*) FROM "CitizenOrders" o WHERE o."SlotId" = "ServiceSlots"."Id" AND o."Status" <> 'Cancelled');
        UPDATE "ServiceSlots" SET "Capacity" = "Booked" WHERE "Booked" > "Capacity";
        """;

    /// <summary>
    /// The effective credits of the existing ledger, each as its whole window (as they were credited
    /// before this version, a window around time credited elsewhere also counted). A credit that repeats or overlaps an earlier
    /// effective credit of the same volunteer (possible before this version) is left out, and the
    /// integrity check names it, so the organisation can reverse whichever is wrong.
    /// </summary>
    public const string FillEffectiveCredits = """
        INSERT INTO "EffectiveCredits" ("EntryId", "VolunteerId", "SessionId", "StartUtc", "EndUtc")
        SELECT e."Id", e."VolunteerId", e."SessionId", e."StartUtc", e."EndUtc" FROM "LedgerEntries" e
        WHERE e."Kind" <> 'Reversal' AND e."EndUtc" > e."StartUtc" AND e."Minutes" >= 0
          AND NOT EXISTS (SELECT 1 FROM "LedgerEntries" r WHERE r."ReversesEntryId" = e."Id")
          AND NOT EXISTS (
              SELECT 1 FROM "LedgerEntries" o
              WHERE o."VolunteerId" = e."VolunteerId" AND o."Kind" <> 'Reversal'
                AND NOT EXISTS (SELECT 1 FROM "LedgerEntries" r2 WHERE r2."ReversesEntryId" = o."Id")
                AND (o."RecordedAtUtc" < e."RecordedAtUtc" OR (o."RecordedAtUtc" = e."RecordedAtUtc" AND o."Id" < e."Id"))
                AND ((o."StartUtc" < e."EndUtc" AND e."StartUtc" < o."EndUtc") OR o."SessionId" = e."SessionId"));
        """;
}
