using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Zhiyuan.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class TotalsKeepTheUnit : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // First, before any other lock: the ledger closed to writes until the migration commits (the running
            // nodes' confirmations wait), so that no entry is written between the fill below and its trigger.
            migrationBuilder.Sql(Hours.ConfirmedTotalsSql.LockLedgerPostgres);

            migrationBuilder.AddColumn<Guid>(
                name: "UnitId",
                table: "ConfirmedTotals",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"));

            // Hand-written: each total takes its volunteer's unit; from now on the ledger trigger writes it with a
            // new total and a trigger on the volunteer follows a move (Hours/ConfirmedTotals.cs). The trigger is
            // changed before the fill, so no total is made in between with no unit.
            migrationBuilder.Sql(Hours.ConfirmedTotalsSql.PostgresFunction(keepsUnit: true));
            migrationBuilder.Sql(Hours.ConfirmedTotalsSql.FillUnit);
            migrationBuilder.Sql(Hours.ConfirmedTotalsSql.CreateUnitFollowsPostgres);

            migrationBuilder.CreateIndex(
                name: "IX_ConfirmedTotals_UnitId_Minutes",
                table: "ConfirmedTotals",
                columns: new[] { "UnitId", "Minutes" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Hours.ConfirmedTotalsSql.DropUnitFollowsPostgres);
            migrationBuilder.Sql(Hours.ConfirmedTotalsSql.PostgresFunction(keepsUnit: false));

            migrationBuilder.DropIndex(
                name: "IX_ConfirmedTotals_UnitId_Minutes",
                table: "ConfirmedTotals");

            migrationBuilder.DropColumn(
                name: "UnitId",
                table: "ConfirmedTotals");
        }
    }
}
