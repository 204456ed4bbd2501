using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Zhiyuan.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SignUpFunction : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Hand-written (no model change): the locked part of a sign-up in one round trip, called by
            // SignUpUseCases on PostgreSQL — the same steps, order and locks as its transaction on SQLite
            // (ADR 0011; docs/performance.md, "Sign-up storm").
            migrationBuilder.Sql("""
CREATE OR REPLACE FUNCTION sign_up_for_session(
    p_session uuid, p_volunteer uuid, p_starts timestamptz, p_ends timestamptz, p_review boolean, p_now timestamptz, p_id uuid)
RETURNS TABLE ("Outcome" text, "Status" text, "Ticket" integer, "Position" integer, "Detail" text, "ClashStartsAtUtc" timestamptz, "ClashEndsAtUtc" timestamptz)
LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_column
DECLARE
    v_status text; v_reason text; v_title text; v_starts timestamptz; v_ends timestamptz; v_cancelled timestamptz;
    v_activity text; v_ticket integer; v_position integer;
BEGIN
    -- The volunteer first (RowLocks' order: volunteer, session, sign-up). Each statement below reads
    -- with a new snapshot, so a sign-up committed by whoever held this lock before is seen.
    PERFORM 1 FROM "Volunteers" WHERE "Id" = p_volunteer FOR UPDATE;
    SELECT s."Status", s."Reason" INTO v_status, v_reason FROM "SignUps" s WHERE s."SessionId" = p_session AND s."VolunteerId" = p_volunteer;
    IF v_status IN ('Accepted', 'Waitlisted', 'Pending') THEN
        RETURN QUERY SELECT 'Already', v_status, NULL::integer, NULL::integer, NULL::text, NULL::timestamptz, NULL::timestamptz; RETURN;
    ELSIF v_status = 'Rejected' THEN
        RETURN QUERY SELECT 'Rejected', v_status, NULL::integer, NULL::integer, v_reason, NULL::timestamptz, NULL::timestamptz; RETURN;
    END IF;
    SELECT a."Title", o."StartsAtUtc", o."EndsAtUtc" INTO v_title, v_starts, v_ends
    FROM "SignUps" s JOIN "ActivitySessions" o ON o."Id" = s."SessionId" JOIN "Activities" a ON a."Id" = o."ActivityId"
    WHERE s."VolunteerId" = p_volunteer AND s."SessionId" <> p_session AND s."Status" IN ('Accepted', 'Waitlisted', 'Pending')
      AND o."StartsAtUtc" < p_ends AND o."EndsAtUtc" > p_starts
    LIMIT 1;
    IF FOUND THEN
        RETURN QUERY SELECT 'Overlap', NULL::text, NULL::integer, NULL::integer, v_title, v_starts, v_ends; RETURN;
    END IF;
    -- The session as it is now, locked: moved or called off since the caller read it, the sign-up is refused.
    SELECT o."StartsAtUtc", o."EndsAtUtc", o."CancelledAtUtc", a."Status" INTO v_starts, v_ends, v_cancelled, v_activity
    FROM "ActivitySessions" o JOIN "Activities" a ON a."Id" = o."ActivityId" WHERE o."Id" = p_session FOR UPDATE OF o;
    IF v_cancelled IS NOT NULL OR v_activity = 'Cancelled' THEN
        RETURN QUERY SELECT 'Cancelled', NULL::text, NULL::integer, NULL::integer, NULL::text, NULL::timestamptz, NULL::timestamptz; RETURN;
    ELSIF v_starts <> p_starts OR v_ends <> p_ends THEN
        RETURN QUERY SELECT 'Moved', NULL::text, NULL::integer, NULL::integer, NULL::text, NULL::timestamptz, NULL::timestamptz; RETURN;
    END IF;
    IF p_review THEN
        v_status := 'Pending';
    ELSE
        UPDATE "ActivitySessions" SET "Accepted" = "Accepted" + 1 WHERE "Id" = p_session AND "Accepted" < "Capacity";
        IF FOUND THEN
            v_status := 'Accepted';
        ELSE
            UPDATE "ActivitySessions" SET "Waitlisted" = "Waitlisted" + 1, "WaitlistIssued" = "WaitlistIssued" + 1 WHERE "Id" = p_session
            RETURNING "WaitlistIssued", "Waitlisted" INTO v_ticket, v_position;
            v_status := 'Waitlisted';
        END IF;
    END IF;
    INSERT INTO "SignUps" ("Id", "SessionId", "VolunteerId", "Status", "RequestedAtUtc", "DecidedAtUtc", "CheckOutMissing", "LastCodeWindow", "WaitlistTicket", "WalkIn")
    VALUES (p_id, p_session, p_volunteer, v_status, p_now, CASE WHEN v_status = 'Pending' THEN NULL ELSE p_now END, false, 0, v_ticket, false)
    ON CONFLICT ("SessionId", "VolunteerId") DO UPDATE SET "Status" = EXCLUDED."Status", "WaitlistTicket" = EXCLUDED."WaitlistTicket",
        "RequestedAtUtc" = EXCLUDED."RequestedAtUtc", "DecidedAtUtc" = EXCLUDED."DecidedAtUtc", "Reason" = NULL;
    RETURN QUERY SELECT 'Ok', v_status, v_ticket, v_position, NULL::text, NULL::timestamptz, NULL::timestamptz;
END
$fn$;
""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS sign_up_for_session(uuid, uuid, timestamptz, timestamptz, boolean, timestamptz, uuid);");
        }
    }
}
