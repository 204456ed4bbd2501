using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Zhiyuan.Web.Data.Migrations.Sqlite
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
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "AbsenceReason",
                table: "SignUps",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "WalkIn",
                table: "SignUps",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            // Hand-written: an attendance marked absent is never credited (PostgreSQL: check constraint
            // CK_SignUps_AbsentNotCredited). A trigger, because SQLite adds a check constraint only by
            // rebuilding the table outside a transaction; triggers are added inside the migration's transaction.
            foreach (var (name, when) in new[] { ("insert", "INSERT"), ("update", "UPDATE OF \"AbsenceReason\", \"LedgerEntryId\"") })
            {
                migrationBuilder.Sql($"""
                    CREATE TRIGGER "SignUps_absent_not_credited_{name}" BEFORE {when} ON "SignUps"
                    WHEN NEW."AbsenceReason" IS NOT NULL AND NEW."LedgerEntryId" IS NOT NULL
                    BEGIN SELECT RAISE(ABORT, 'CK_SignUps_AbsentNotCredited: an attendance marked absent is never credited'); END;
                    """);
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"SignUps_absent_not_credited_insert\";");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"SignUps_absent_not_credited_update\";");

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
