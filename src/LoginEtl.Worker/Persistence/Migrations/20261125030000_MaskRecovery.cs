using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LoginEtl.Worker.Persistence.Migrations;

[DbContext(typeof(LoginDbContext))]
[Migration("20261125030000_MaskRecovery")]
public partial class MaskRecovery : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "loginetl_mask_recovery",
            columns: table => new
            {
                masked_value = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                field = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                key_fingerprint = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                sealed_value = table.Column<byte[]>(type: "bytea", nullable: false),
                stored_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_loginetl_mask_recovery", x => x.masked_value);
            });
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "loginetl_mask_recovery");
    }
}
