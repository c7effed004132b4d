using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LoginEtl.Worker.Persistence.Migrations;

[DbContext(typeof(LoginDbContext))]
[Migration("20261125000000_Initial")]
public partial class Initial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        // user_logins is shared with other writers and may exist already: create it only when missing.
        migrationBuilder.Sql("""
            CREATE TABLE IF NOT EXISTS user_logins(
                user_id varchar(128), device_type varchar(32), masked_ip varchar(256),
                masked_device_id varchar(256), locale varchar(32), app_version integer, create_date date);
            """);

        migrationBuilder.CreateTable(
            name: "loginetl_inbox",
            columns: table => new
            {
                message_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                stored_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_loginetl_inbox", x => x.message_id);
            });
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "loginetl_inbox");
    }
}
