using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Zhiyuan.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SessionTotals : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // First, before any other lock: the ledger closed to writes until the migration commits (the running
            // nodes' confirmations wait), so that no entry is written between the fill below and its trigger.
            migrationBuilder.Sql(Hours.ConfirmedTotalsSql.LockLedgerPostgres);

            migrationBuilder.CreateTable(
                name: "SessionTotals",
                columns: table => new
                {
                    SessionId = table.Column<Guid>(type: "uuid", nullable: false),
                    PersonTimes = table.Column<int>(type: "integer", nullable: false),
                    Minutes = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SessionTotals", x => x.SessionId);
                    table.ForeignKey(
                        name: "FK_SessionTotals_ActivitySessions_SessionId",
                        column: x => x.SessionId,
                        principalTable: "ActivitySessions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            // Hand-written: the sums of the existing ledger, then the trigger that keeps them with every later
            // ledger entry, in the same statement (Hours/SessionTotals.cs).
            migrationBuilder.Sql(Hours.SessionTotalsSql.Fill);
            migrationBuilder.Sql(Hours.SessionTotalsSql.CreatePostgres);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Hours.SessionTotalsSql.DropPostgres);

            migrationBuilder.DropTable(
                name: "SessionTotals");
        }
    }
}
