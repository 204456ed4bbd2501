using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Zhiyuan.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class BackEntries : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "IsBackEntry",
                table: "LedgerEntries",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "IsBackEntry",
                table: "Activities",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "BackEntries",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ActivityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Version = table.Column<int>(type: "integer", nullable: false),
                    CreatedAtUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    FirstSubmittedAtUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    SubmittedAtUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    SubmittedBy = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    SubmittedByUserId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    DecidedAtUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    DecidedBy = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    ReturnReason = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BackEntries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BackEntries_Activities_ActivityId",
                        column: x => x.ActivityId,
                        principalTable: "Activities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "BackEntryAttendances",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    BackEntryId = table.Column<Guid>(type: "uuid", nullable: false),
                    SessionId = table.Column<Guid>(type: "uuid", nullable: false),
                    VolunteerId = table.Column<Guid>(type: "uuid", nullable: false),
                    StartUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    EndUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Minutes = table.Column<int>(type: "integer", nullable: false),
                    Position = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BackEntryAttendances", x => x.Id);
                    table.CheckConstraint("CK_BackEntryAttendances_Span", "\"EndUtc\" > \"StartUtc\"");
                    table.ForeignKey(
                        name: "FK_BackEntryAttendances_ActivitySessions_SessionId",
                        column: x => x.SessionId,
                        principalTable: "ActivitySessions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_BackEntryAttendances_BackEntries_BackEntryId",
                        column: x => x.BackEntryId,
                        principalTable: "BackEntries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_BackEntryAttendances_Volunteers_VolunteerId",
                        column: x => x.VolunteerId,
                        principalTable: "Volunteers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BackEntries_ActivityId",
                table: "BackEntries",
                column: "ActivityId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_BackEntries_Status_SubmittedAtUtc",
                table: "BackEntries",
                columns: new[] { "Status", "SubmittedAtUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_BackEntryAttendances_BackEntryId_Position",
                table: "BackEntryAttendances",
                columns: new[] { "BackEntryId", "Position" });

            migrationBuilder.CreateIndex(
                name: "IX_BackEntryAttendances_SessionId_VolunteerId",
                table: "BackEntryAttendances",
                columns: new[] { "SessionId", "VolunteerId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_BackEntryAttendances_VolunteerId",
                table: "BackEntryAttendances",
                column: "VolunteerId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BackEntryAttendances");

            migrationBuilder.DropTable(
                name: "BackEntries");

            migrationBuilder.DropColumn(
                name: "IsBackEntry",
                table: "LedgerEntries");

            migrationBuilder.DropColumn(
                name: "IsBackEntry",
                table: "Activities");
        }
    }
}
