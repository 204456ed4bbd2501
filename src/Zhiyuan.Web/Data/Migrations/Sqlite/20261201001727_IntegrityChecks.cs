using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Zhiyuan.Web.Data.Migrations.Sqlite
{
    /// <summary>
    /// The counters' check constraints, apart from migration Integrity: SQLite adds a check constraint by
    /// rebuilding the table, which starts with a statement that cannot run inside a transaction. Alone here,
    /// the rest of Integrity applies in one transaction, and a crash during this rebuild leaves a migration
    /// that simply runs again (rebuilding a table is repeatable).
    /// </summary>
    public partial class IntegrityChecks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_ServiceSlots_Booked",
                table: "ServiceSlots");

            migrationBuilder.DropCheckConstraint(
                name: "CK_ActivitySessions_Accepted",
                table: "ActivitySessions");

            migrationBuilder.DropCheckConstraint(
                name: "CK_ActivitySessions_Waitlisted",
                table: "ActivitySessions");
        }
    }
}
