using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace LoginEtl.Worker.Persistence.Migrations;

[DbContext(typeof(LoginDbContext))]
partial class LoginDbContextModelSnapshot : ModelSnapshot
{
    protected override void BuildModel(ModelBuilder modelBuilder)
    {
        modelBuilder
            .HasAnnotation("ProductVersion", "10.0.4")
            .HasAnnotation("Relational:MaxIdentifierLength", 63);

        NpgsqlModelBuilderExtensions.UseIdentityByDefaultColumns(modelBuilder);

        modelBuilder.Entity("LoginEtl.Worker.Persistence.MaskRecoveryRecord", b =>
            {
                b.Property<string>("MaskedValue")
                    .HasMaxLength(256)
                    .HasColumnType("character varying(256)")
                    .HasColumnName("masked_value");

                b.Property<string>("Field")
                    .IsRequired()
                    .HasMaxLength(16)
                    .HasColumnType("character varying(16)")
                    .HasColumnName("field");

                b.Property<string>("KeyFingerprint")
                    .IsRequired()
                    .HasMaxLength(64)
                    .HasColumnType("character varying(64)")
                    .HasColumnName("key_fingerprint");

                b.Property<byte[]>("SealedValue")
                    .IsRequired()
                    .HasColumnType("bytea")
                    .HasColumnName("sealed_value");

                b.Property<DateTimeOffset>("StoredAt")
                    .ValueGeneratedOnAdd()
                    .HasColumnType("timestamp with time zone")
                    .HasColumnName("stored_at")
                    .HasDefaultValueSql("now()");

                b.HasKey("MaskedValue");

                b.ToTable("loginetl_mask_recovery", (string)null);
            });

        modelBuilder.Entity("LoginEtl.Worker.Persistence.OutboxMessage", b =>
            {
                b.Property<long>("Id")
                    .ValueGeneratedOnAdd()
                    .HasColumnType("bigint")
                    .HasColumnName("id");

                NpgsqlPropertyBuilderExtensions.UseIdentityAlwaysColumn(b.Property<long>("Id"));

                b.Property<string>("Body")
                    .IsRequired()
                    .HasColumnType("text")
                    .HasColumnName("body");

                b.Property<DateTimeOffset>("CreatedAt")
                    .ValueGeneratedOnAdd()
                    .HasColumnType("timestamp with time zone")
                    .HasColumnName("created_at")
                    .HasDefaultValueSql("now()");

                b.Property<string>("MessageId")
                    .IsRequired()
                    .HasMaxLength(128)
                    .HasColumnType("character varying(128)")
                    .HasColumnName("message_id");

                b.HasKey("Id");

                b.ToTable("loginetl_outbox", (string)null);
            });

        modelBuilder.Entity("LoginEtl.Worker.Persistence.UserLogin", b =>
            {
                b.Property<int>("AppVersion")
                    .HasColumnType("integer")
                    .HasColumnName("app_version");

                b.Property<DateOnly>("CreateDate")
                    .HasColumnType("date")
                    .HasColumnName("create_date");

                b.Property<string>("DeviceType")
                    .IsRequired()
                    .HasMaxLength(32)
                    .HasColumnType("character varying(32)")
                    .HasColumnName("device_type");

                b.Property<string>("Locale")
                    .HasMaxLength(32)
                    .HasColumnType("character varying(32)")
                    .HasColumnName("locale");

                b.Property<string>("MaskedDeviceId")
                    .IsRequired()
                    .HasMaxLength(256)
                    .HasColumnType("character varying(256)")
                    .HasColumnName("masked_device_id");

                b.Property<string>("MaskedIp")
                    .IsRequired()
                    .HasMaxLength(256)
                    .HasColumnType("character varying(256)")
                    .HasColumnName("masked_ip");

                b.Property<string>("UserId")
                    .IsRequired()
                    .HasMaxLength(128)
                    .HasColumnType("character varying(128)")
                    .HasColumnName("user_id");

                b.ToTable("user_logins", null, t => t.ExcludeFromMigrations());
            });
    }
}
