using Microsoft.EntityFrameworkCore;

namespace LoginEtl.Worker.Persistence;

public sealed class LoginDbContext(DbContextOptions<LoginDbContext> options) : DbContext(options)
{
    public const string UserLoginsTable = "user_logins";
    /// <summary>Partitioned, managed by raw SQL (EF Core cannot describe it): see <see cref="InboxLayout"/>.</summary>
    public const string InboxTable = "loginetl_inbox";
    public const string MaskRecoveryTable = "loginetl_mask_recovery";
    public const string OutboxTable = "loginetl_outbox";

    public DbSet<UserLogin> UserLogins => Set<UserLogin>();
    public DbSet<MaskRecoveryRecord> MaskRecovery => Set<MaskRecoveryRecord>();
    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<UserLogin>(login =>
        {
            // The table predates the service and has no key; its migration is raw SQL (CREATE TABLE IF NOT EXISTS).
            login.ToTable(UserLoginsTable, t => t.ExcludeFromMigrations());
            login.HasNoKey();
            login.Property(x => x.UserId).HasColumnName("user_id").HasMaxLength(128);
            login.Property(x => x.DeviceType).HasColumnName("device_type").HasMaxLength(32);
            login.Property(x => x.MaskedIp).HasColumnName("masked_ip").HasMaxLength(256);
            login.Property(x => x.MaskedDeviceId).HasColumnName("masked_device_id").HasMaxLength(256);
            login.Property(x => x.Locale).HasColumnName("locale").HasMaxLength(32);
            login.Property(x => x.AppVersion).HasColumnName("app_version");
            login.Property(x => x.CreateDate).HasColumnName("create_date");
        });

        modelBuilder.Entity<MaskRecoveryRecord>(recovery =>
        {
            recovery.ToTable(MaskRecoveryTable);
            recovery.HasKey(x => x.MaskedValue);
            recovery.Property(x => x.MaskedValue).HasColumnName("masked_value").HasMaxLength(256);
            recovery.Property(x => x.Field).HasColumnName("field").HasMaxLength(16);
            recovery.Property(x => x.KeyFingerprint).HasColumnName("key_fingerprint").HasMaxLength(64);
            recovery.Property(x => x.SealedValue).HasColumnName("sealed_value");
            recovery.Property(x => x.StoredAt).HasColumnName("stored_at").HasDefaultValueSql("now()");
        });

        modelBuilder.Entity<OutboxMessage>(outbox =>
        {
            outbox.ToTable(OutboxTable);
            outbox.HasKey(x => x.Id);
            outbox.Property(x => x.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            outbox.Property(x => x.MessageId).HasColumnName("message_id").HasMaxLength(128);
            outbox.Property(x => x.Body).HasColumnName("body");
            outbox.Property(x => x.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()");
        });
    }
}
