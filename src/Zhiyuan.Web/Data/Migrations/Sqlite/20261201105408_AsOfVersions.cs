using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Zhiyuan.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AsOfVersions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_MediaLinks_ActivityOutcomes_ActivityId",
                table: "MediaLinks");

            migrationBuilder.DropForeignKey(
                name: "FK_PopulationServed_ActivityOutcomes_ActivityId",
                table: "PopulationServed");

            migrationBuilder.DropPrimaryKey(
                name: "PK_PopulationServed",
                table: "PopulationServed");

            migrationBuilder.DropPrimaryKey(
                name: "PK_ActivityOutcomes",
                table: "ActivityOutcomes");

            migrationBuilder.AddColumn<DateTime>(
                name: "RecordedAtUtc",
                table: "TypedInRows",
                type: "TEXT",
                nullable: false,
                defaultValue: new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified));

            migrationBuilder.AddColumn<Guid>(
                name: "ReplacesId",
                table: "TypedInRows",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "SupersededAtUtc",
                table: "TypedInRows",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Revision",
                table: "PopulationServed",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "RecordedAtUtc",
                table: "PopulationServed",
                type: "TEXT",
                nullable: false,
                defaultValue: new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified));

            migrationBuilder.AddColumn<DateTime>(
                name: "SupersededAtUtc",
                table: "PopulationServed",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "RecordedAtUtc",
                table: "MediaLinks",
                type: "TEXT",
                nullable: false,
                defaultValue: new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified));

            migrationBuilder.AddColumn<int>(
                name: "Revision",
                table: "MediaLinks",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "SupersededAtUtc",
                table: "MediaLinks",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FrozenBasis",
                table: "CampaignReports",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Revision",
                table: "ActivityOutcomes",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "SupersededAtUtc",
                table: "ActivityOutcomes",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddPrimaryKey(
                name: "PK_PopulationServed",
                table: "PopulationServed",
                columns: new[] { "ActivityId", "Revision", "PopulationType" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_ActivityOutcomes",
                table: "ActivityOutcomes",
                columns: new[] { "ActivityId", "Revision" });

            migrationBuilder.CreateIndex(
                name: "IX_TypedInRows_ReplacesId",
                table: "TypedInRows",
                column: "ReplacesId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ActivityOutcomes_ActivityId",
                table: "ActivityOutcomes",
                column: "ActivityId",
                unique: true,
                filter: "\"SupersededAtUtc\" IS NULL");

            migrationBuilder.AddForeignKey(
                name: "FK_MediaLinks_Activities_ActivityId",
                table: "MediaLinks",
                column: "ActivityId",
                principalTable: "Activities",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_PopulationServed_Activities_ActivityId",
                table: "PopulationServed",
                column: "ActivityId",
                principalTable: "Activities",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);

            // Hand-written (as-of verification): rows saved before versions were kept count as recorded when they were last saved.
            migrationBuilder.Sql("UPDATE \"TypedInRows\" SET \"RecordedAtUtc\" = \"CreatedAtUtc\";");
            migrationBuilder.Sql("UPDATE \"PopulationServed\" SET \"RecordedAtUtc\" = (SELECT o.\"UpdatedAtUtc\" FROM \"ActivityOutcomes\" o WHERE o.\"ActivityId\" = \"PopulationServed\".\"ActivityId\");");
            migrationBuilder.Sql("UPDATE \"MediaLinks\" SET \"RecordedAtUtc\" = (SELECT o.\"UpdatedAtUtc\" FROM \"ActivityOutcomes\" o WHERE o.\"ActivityId\" = \"MediaLinks\".\"ActivityId\");");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_MediaLinks_Activities_ActivityId",
                table: "MediaLinks");

            migrationBuilder.DropForeignKey(
                name: "FK_PopulationServed_Activities_ActivityId",
                table: "PopulationServed");

            migrationBuilder.DropIndex(
                name: "IX_TypedInRows_ReplacesId",
                table: "TypedInRows");

            migrationBuilder.DropPrimaryKey(
                name: "PK_PopulationServed",
                table: "PopulationServed");

            migrationBuilder.DropPrimaryKey(
                name: "PK_ActivityOutcomes",
                table: "ActivityOutcomes");

            migrationBuilder.DropIndex(
                name: "IX_ActivityOutcomes_ActivityId",
                table: "ActivityOutcomes");

            migrationBuilder.DropColumn(
                name: "RecordedAtUtc",
                table: "TypedInRows");

            migrationBuilder.DropColumn(
                name: "ReplacesId",
                table: "TypedInRows");

            migrationBuilder.DropColumn(
                name: "SupersededAtUtc",
                table: "TypedInRows");

            migrationBuilder.DropColumn(
                name: "Revision",
                table: "PopulationServed");

            migrationBuilder.DropColumn(
                name: "RecordedAtUtc",
                table: "PopulationServed");

            migrationBuilder.DropColumn(
                name: "SupersededAtUtc",
                table: "PopulationServed");

            migrationBuilder.DropColumn(
                name: "RecordedAtUtc",
                table: "MediaLinks");

            migrationBuilder.DropColumn(
                name: "Revision",
                table: "MediaLinks");

            migrationBuilder.DropColumn(
                name: "SupersededAtUtc",
                table: "MediaLinks");

            migrationBuilder.DropColumn(
                name: "FrozenBasis",
                table: "CampaignReports");

            migrationBuilder.DropColumn(
                name: "Revision",
                table: "ActivityOutcomes");

            migrationBuilder.DropColumn(
                name: "SupersededAtUtc",
                table: "ActivityOutcomes");

            migrationBuilder.AddPrimaryKey(
                name: "PK_PopulationServed",
                table: "PopulationServed",
                columns: new[] { "ActivityId", "PopulationType" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_ActivityOutcomes",
                table: "ActivityOutcomes",
                column: "ActivityId");

            migrationBuilder.AddForeignKey(
                name: "FK_MediaLinks_ActivityOutcomes_ActivityId",
                table: "MediaLinks",
                column: "ActivityId",
                principalTable: "ActivityOutcomes",
                principalColumn: "ActivityId",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_PopulationServed_ActivityOutcomes_ActivityId",
                table: "PopulationServed",
                column: "ActivityId",
                principalTable: "ActivityOutcomes",
                principalColumn: "ActivityId",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
