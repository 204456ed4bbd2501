using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Zhiyuan.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ReportIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_LedgerEntries_SessionId",
                table: "LedgerEntries");

            migrationBuilder.DropIndex(
                name: "IX_ActivitySessions_StartsAtUtc",
                table: "ActivitySessions");

            migrationBuilder.CreateIndex(
                name: "IX_LedgerEntries_SessionId_Kind_Minutes",
                table: "LedgerEntries",
                columns: new[] { "SessionId", "Kind", "Minutes" });

            migrationBuilder.CreateIndex(
                name: "IX_ActivitySessions_StartsAtUtc_ActivityId_Id",
                table: "ActivitySessions",
                columns: new[] { "StartsAtUtc", "ActivityId", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_LedgerEntries_SessionId_Kind_Minutes",
                table: "LedgerEntries");

            migrationBuilder.DropIndex(
                name: "IX_ActivitySessions_StartsAtUtc_ActivityId_Id",
                table: "ActivitySessions");

            migrationBuilder.CreateIndex(
                name: "IX_LedgerEntries_SessionId",
                table: "LedgerEntries",
                column: "SessionId");

            migrationBuilder.CreateIndex(
                name: "IX_ActivitySessions_StartsAtUtc",
                table: "ActivitySessions",
                column: "StartsAtUtc");
        }
    }
}
