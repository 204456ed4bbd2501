using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Zhiyuan.Web.Data.Migrations.Sqlite
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
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "WaitlistIssued",
                table: "ActivitySessions",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "Waitlisted",
                table: "ActivitySessions",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "EffectiveCredits",
                columns: table => new
                {
                    EntryId = table.Column<Guid>(type: "TEXT", nullable: false),
                    StartUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    VolunteerId = table.Column<Guid>(type: "TEXT", nullable: false),
                    SessionId = table.Column<Guid>(type: "TEXT", nullable: false),
                    EndUtc = table.Column<DateTime>(type: "TEXT", nullable: false)
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
                    Key = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    WindowStartUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Count = table.Column<int>(type: "INTEGER", nullable: false)
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
            // reversal takes its entry's stretches out, whoever writes it (ADR 0011). Writes are
            // serialised on SQLite, so the trigger's look-up sees every committed stretch.
            migrationBuilder.Sql("""
                CREATE TRIGGER "EffectiveCredits_no_overlap" BEFORE INSERT ON "EffectiveCredits"
                WHEN EXISTS (SELECT 1 FROM "EffectiveCredits" c WHERE c."VolunteerId" = NEW."VolunteerId" AND c."StartUtc" < NEW."EndUtc" AND NEW."StartUtc" < c."EndUtc")
                BEGIN SELECT RAISE(ABORT, 'EffectiveCredits: two credits of one volunteer overlap in time'); END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "LedgerEntries_reversal" AFTER INSERT ON "LedgerEntries" WHEN NEW."Kind" = 'Reversal'
                BEGIN DELETE FROM "EffectiveCredits" WHERE "EntryId" = NEW."ReversesEntryId"; END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER \"LedgerEntries_reversal\";");

            migrationBuilder.DropTable(
                name: "EffectiveCredits");

            migrationBuilder.DropTable(
                name: "LimitCounters");

            migrationBuilder.DropIndex(
                name: "IX_SignUps_SessionId_WaitlistTicket",
                table: "SignUps");

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
