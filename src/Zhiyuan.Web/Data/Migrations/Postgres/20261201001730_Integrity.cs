using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Zhiyuan.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Integrity : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "WaitlistTicket",
                table: "SignUps",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "WaitlistIssued",
                table: "ActivitySessions",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "Waitlisted",
                table: "ActivitySessions",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "EffectiveCredits",
                columns: table => new
                {
                    EntryId = table.Column<Guid>(type: "uuid", nullable: false),
                    StartUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    VolunteerId = table.Column<Guid>(type: "uuid", nullable: false),
                    SessionId = table.Column<Guid>(type: "uuid", nullable: false),
                    EndUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EffectiveCredits", x => new { x.EntryId, x.StartUtc });
                    table.CheckConstraint("CK_EffectiveCredits_Span", "\"EndUtc\" > \"StartUtc\"");
                    table.ForeignKey(
                        name: "FK_EffectiveCredits_LedgerEntries_EntryId",
                        column: x => x.EntryId,
                        principalTable: "LedgerEntries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "LimitCounters",
                columns: table => new
                {
                    Key = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    WindowStartUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Count = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LimitCounters", x => new { x.Key, x.WindowStartUtc });
                });

            // Existing rows first, so that the constraints below hold from the start (see IntegritySql).
            migrationBuilder.Sql(IntegritySql.RecountCounters);

            migrationBuilder.CreateIndex(
                name: "IX_SignUps_SessionId_WaitlistTicket",
                table: "SignUps",
                columns: new[] { "SessionId", "WaitlistTicket" },
                unique: true);

            migrationBuilder.AddCheckConstraint(
                name: "CK_ServiceSlots_Booked",
                table: "ServiceSlots",
                sql: "\"Booked\" >= 0 AND \"Booked\" <= \"Capacity\"");

            migrationBuilder.AddCheckConstraint(
                name: "CK_ActivitySessions_Accepted",
                table: "ActivitySessions",
                sql: "\"Accepted\" >= 0 AND \"Accepted\" <= \"Capacity\"");

            migrationBuilder.AddCheckConstraint(
                name: "CK_ActivitySessions_Waitlisted",
                table: "ActivitySessions",
                sql: "\"Waitlisted\" >= 0 AND \"WaitlistIssued\" >= \"Waitlisted\"");

            migrationBuilder.CreateIndex(
                name: "IX_EffectiveCredits_SessionId_VolunteerId_StartUtc",
                table: "EffectiveCredits",
                columns: new[] { "SessionId", "VolunteerId", "StartUtc" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_EffectiveCredits_VolunteerId_StartUtc",
                table: "EffectiveCredits",
                columns: new[] { "VolunteerId", "StartUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_LimitCounters_WindowStartUtc",
                table: "LimitCounters",
                column: "WindowStartUtc");
            migrationBuilder.Sql(IntegritySql.FillEffectiveCredits);

            // No two credited stretches of one volunteer overlap in time, whoever writes them; a
            // reversal takes its entry's stretches out, whoever writes it (ADR 0011).
            migrationBuilder.Sql("""
                CREATE EXTENSION IF NOT EXISTS btree_gist;
                ALTER TABLE "EffectiveCredits" ADD CONSTRAINT "EX_EffectiveCredits_NoOverlap"
                    EXCLUDE USING gist ("VolunteerId" WITH =, tstzrange("StartUtc", "EndUtc") WITH &&);
                CREATE FUNCTION ledger_reversal_ends_credit() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN DELETE FROM "EffectiveCredits" WHERE "EntryId" = NEW."ReversesEntryId"; RETURN NULL; END $$;
                CREATE TRIGGER "LedgerEntries_reversal" AFTER INSERT ON "LedgerEntries"
                    FOR EACH ROW WHEN (NEW."Kind" = 'Reversal') EXECUTE FUNCTION ledger_reversal_ends_credit();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP TRIGGER "LedgerEntries_reversal" ON "LedgerEntries"; DROP FUNCTION ledger_reversal_ends_credit();""");

            migrationBuilder.DropTable(
                name: "EffectiveCredits");

            migrationBuilder.DropTable(
                name: "LimitCounters");

            migrationBuilder.DropIndex(
                name: "IX_SignUps_SessionId_WaitlistTicket",
                table: "SignUps");

            migrationBuilder.DropCheckConstraint(
                name: "CK_ServiceSlots_Booked",
                table: "ServiceSlots");

            migrationBuilder.DropCheckConstraint(
                name: "CK_ActivitySessions_Accepted",
                table: "ActivitySessions");

            migrationBuilder.DropCheckConstraint(
                name: "CK_ActivitySessions_Waitlisted",
                table: "ActivitySessions");

            migrationBuilder.DropColumn(
                name: "WaitlistTicket",
                table: "SignUps");

            migrationBuilder.DropColumn(
                name: "WaitlistIssued",
                table: "ActivitySessions");

            migrationBuilder.DropColumn(
                name: "Waitlisted",
                table: "ActivitySessions");
        }
    }
}
