using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Zhiyuan.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ConfirmedTotals : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ConfirmedTotals",
                columns: table => new
                {
                    VolunteerId = table.Column<Guid>(type: "uuid", nullable: false),
                    Minutes = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ConfirmedTotals", x => x.VolunteerId);
                    table.ForeignKey(
                        name: "FK_ConfirmedTotals_Volunteers_VolunteerId",
                        column: x => x.VolunteerId,
                        principalTable: "Volunteers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ConfirmedYearTotals",
                columns: table => new
                {
                    VolunteerId = table.Column<Guid>(type: "uuid", nullable: false),
                    Year = table.Column<int>(type: "integer", nullable: false),
                    Minutes = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ConfirmedYearTotals", x => new { x.VolunteerId, x.Year });
                    table.ForeignKey(
                        name: "FK_ConfirmedYearTotals_Volunteers_VolunteerId",
                        column: x => x.VolunteerId,
                        principalTable: "Volunteers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            // Hand-written: the totals of the existing ledger, then the trigger(s) that keep them with
            // every later ledger entry, in the same statement (Hours/ConfirmedTotals.cs).
            migrationBuilder.Sql(Hours.ConfirmedTotalsSql.Fill(postgres: true, keepsUnit: false));
            migrationBuilder.Sql(Hours.ConfirmedTotalsSql.CreatePostgres(keepsUnit: false));

            migrationBuilder.CreateIndex(
                name: "IX_Volunteers_StarLevel",
                table: "Volunteers",
                column: "StarLevel",
                filter: "\"StarLevel\" > 0");

            migrationBuilder.CreateIndex(
                name: "IX_ConfirmedTotals_Minutes",
                table: "ConfirmedTotals",
                column: "Minutes");

            migrationBuilder.CreateIndex(
                name: "IX_ConfirmedYearTotals_Year_Minutes",
                table: "ConfirmedYearTotals",
                columns: new[] { "Year", "Minutes" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Hours.ConfirmedTotalsSql.DropPostgres);

            migrationBuilder.DropIndex(
                name: "IX_Volunteers_StarLevel",
                table: "Volunteers");

            migrationBuilder.DropTable(
                name: "ConfirmedTotals");

            migrationBuilder.DropTable(
                name: "ConfirmedYearTotals");
        }
    }
}
