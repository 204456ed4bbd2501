using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Zhiyuan.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class PrivateWork : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "IsPrivate",
                table: "Activities",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            // Work done before this version: order activities lose the citizen's address and notes (they
            // stay on the order) and, with undercover rounds, become private.
            migrationBuilder.Sql("""
                UPDATE "Activities" SET
                    "IsPrivate" = TRUE,
                    "Address" = COALESCE((SELECT CASE WHEN m."Mode" = 'Online' THEN "Activities"."Address" ELSE u."Name" || '（上门服务，地址仅受理单位、承接组织和指派志愿者可见）' END
                        FROM "CitizenOrders" o JOIN "ServiceMenus" m ON m."Id" = o."MenuId" JOIN "Units" u ON u."Id" = m."AreaUnitId"
                        WHERE o."ActivityId" = "Activities"."Id"), "Address"),
                    "Description" = COALESCE((SELECT m."Description" FROM "CitizenOrders" o JOIN "ServiceMenus" m ON m."Id" = o."MenuId"
                        WHERE o."ActivityId" = "Activities"."Id"), "Description")
                WHERE EXISTS (SELECT 1 FROM "CitizenOrders" o WHERE o."ActivityId" = "Activities"."Id");
                UPDATE "Activities" SET "IsPrivate" = TRUE WHERE "Id" IN (SELECT "ActivityId" FROM "PatrolRounds" WHERE "Mode" = 'Undercover');
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "IsPrivate",
                table: "Activities");
        }
    }
}
