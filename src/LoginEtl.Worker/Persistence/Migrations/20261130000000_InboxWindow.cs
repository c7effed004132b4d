using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LoginEtl.Worker.Persistence.Migrations;

/// <summary>
/// The inbox becomes a window: <c>loginetl_inbox</c> partitioned by slot (one day of first-send times each, see
/// <c>InboxLayout</c>), keyed by first-send time and the message id as a UUID. The entries of the first inbox
/// recorded no send time, so they move to a partition of their own, <c>loginetl_inbox_legacy</c>, which the
/// writer checks until the newest of them is older than the window; none is lost. Writers of the previous version
/// are held off by the table lock while the entries move, and fail their commits afterwards (their messages are
/// redelivered to the new version).
/// </summary>
[DbContext(typeof(LoginDbContext))]
[Migration("20261130000000_InboxWindow")]
public partial class InboxWindow : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            LOCK TABLE loginetl_inbox IN EXCLUSIVE MODE;
            ALTER TABLE loginetl_inbox RENAME TO loginetl_inbox_v1;
            ALTER TABLE loginetl_inbox_v1 RENAME CONSTRAINT "PK_loginetl_inbox" TO "PK_loginetl_inbox_v1";

            CREATE TABLE loginetl_inbox (
                sent_at timestamp with time zone NOT NULL,
                message_key uuid NOT NULL,
                slot smallint NOT NULL,
                message_id text,
                CONSTRAINT "PK_loginetl_inbox" PRIMARY KEY (sent_at, message_key, slot)
            ) PARTITION BY LIST (slot);

            DO $$
            BEGIN
                FOR s IN 0..31 LOOP
                    EXECUTE format('CREATE TABLE loginetl_inbox_%s PARTITION OF loginetl_inbox FOR VALUES IN (%s)', lpad(s::text, 2, '0'), s);
                END LOOP;
            END $$;

            CREATE TABLE loginetl_inbox_slots (slot smallint PRIMARY KEY, bucket bigint);
            INSERT INTO loginetl_inbox_slots (slot) SELECT generate_series(-1, 31);

            -- Filled before it is attached: one index build instead of an insert per entry into the index.
            CREATE TABLE loginetl_inbox_legacy (LIKE loginetl_inbox);
            INSERT INTO loginetl_inbox_legacy (sent_at, message_key, slot, message_id)
            SELECT 'epoch',
                   CASE WHEN v.is_uuid THEN v.message_id::uuid
                        ELSE encode(set_byte(set_byte(substring(h.hash FROM 1 FOR 16), 6, (get_byte(h.hash, 6) & 15) | 128),
                                             8, (get_byte(h.hash, 8) & 63) | 128), 'hex')::uuid
                   END,
                   -1,
                   CASE WHEN v.is_uuid THEN NULL ELSE v.message_id END
            FROM (SELECT message_id, message_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' AS is_uuid
                  FROM loginetl_inbox_v1) v,
                 LATERAL (SELECT sha256(convert_to(v.message_id, 'UTF8')) AS hash) h;
            ALTER TABLE loginetl_inbox_legacy ADD CONSTRAINT loginetl_inbox_legacy_slot CHECK (slot = -1);
            ALTER TABLE loginetl_inbox ATTACH PARTITION loginetl_inbox_legacy FOR VALUES IN (-1);
            UPDATE loginetl_inbox_slots
               SET bucket = (SELECT floor(extract(epoch FROM max(stored_at)) / 86400)::bigint FROM loginetl_inbox_v1)
             WHERE slot = -1;

            DROP TABLE loginetl_inbox_v1;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            LOCK TABLE loginetl_inbox IN EXCLUSIVE MODE;
            CREATE TABLE loginetl_inbox_v1 (
                message_id character varying(128) NOT NULL,
                stored_at timestamp with time zone NOT NULL DEFAULT now(),
                CONSTRAINT "PK_loginetl_inbox_v1" PRIMARY KEY (message_id)
            );
            INSERT INTO loginetl_inbox_v1 (message_id)
            SELECT coalesce(message_id, message_key::text) FROM loginetl_inbox
            ON CONFLICT DO NOTHING;
            DROP TABLE loginetl_inbox;
            DROP TABLE loginetl_inbox_slots;
            ALTER TABLE loginetl_inbox_v1 RENAME TO loginetl_inbox;
            ALTER TABLE loginetl_inbox RENAME CONSTRAINT "PK_loginetl_inbox_v1" TO "PK_loginetl_inbox";
            """);
    }
}
