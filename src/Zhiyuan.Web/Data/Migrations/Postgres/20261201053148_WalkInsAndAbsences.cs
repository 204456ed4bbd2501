using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Zhiyuan.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class WalkInsAndAbsences : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "AbsenceMarkedAtUtc",
                table: "SignUps",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "AbsenceReason",
                table: "SignUps",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "WalkIn",
                table: "SignUps",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddCheckConstraint(
                name: "CK_SignUps_AbsentNotCredited",
                table: "SignUps",
                sql: "\"AbsenceReason\" IS NULL OR \"LedgerEntryId\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_SignUps_AbsentNotCredited",
                table: "SignUps");

            migrationBuilder.DropColumn(
                name: "AbsenceMarkedAtUtc",
                table: "SignUps");

            migrationBuilder.DropColumn(
                name: "AbsenceReason",
                table: "SignUps");

            migrationBuilder.DropColumn(
                name: "WalkIn",
                table: "SignUps");
        }
    }
}
