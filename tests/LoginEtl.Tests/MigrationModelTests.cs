using LoginEtl.Worker.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace LoginEtl.Tests;

/// <summary>The hand-written migrations and snapshot against the model; no connection is ever opened.</summary>
public sealed class MigrationModelTests : IDisposable
{
    readonly LoginDbContext _db = new(new DbContextOptionsBuilder<LoginDbContext>().UseNpgsql("Host=127.0.0.1;Database=unused").Options);

    public void Dispose() => _db.Dispose();

    [Fact]
    public void The_snapshot_matches_the_model_so_migrate_does_not_refuse_to_run()
    {
        // EF Core 9+ makes Migrate() throw when the model has changes that no migration captures.
        Assert.True(!_db.Database.HasPendingModelChanges(), $"The snapshot differs from the model:\n{SnapshotDifferences()}");
    }

    [Fact]
    public void The_migrations_are_listed_in_order()
    {
        Assert.Equal(["20261125000000_Initial", "20261125030000_MaskRecovery", "20261125040000_Outbox", "20261130000000_InboxWindow"],
            _db.Database.GetMigrations());
    }

    [Fact]
    public void The_schema_check_of_run_knows_every_migration_EF_Core_applies()
    {
        Assert.Equal(_db.Database.GetMigrations(), MigrationHistory.Ids);
        // The table it reads, unqualified as EF Core creates it (in the search path's schema).
        Assert.StartsWith($"CREATE TABLE \"{MigrationHistory.Table}\" (", _db.GetService<IHistoryRepository>().GetCreateScript(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_migration_script_creates_the_tables_the_writer_uses()
    {
        var script = _db.GetService<IMigrator>().GenerateScript();

        Assert.Contains("CREATE TABLE IF NOT EXISTS user_logins(", script, StringComparison.Ordinal);
        Assert.Contains("CREATE TABLE loginetl_inbox (", script, StringComparison.Ordinal);
        Assert.Contains("CONSTRAINT \"PK_loginetl_inbox\" PRIMARY KEY (sent_at, message_key, slot)", script, StringComparison.Ordinal);
        Assert.Contains(") PARTITION BY LIST (slot);", script, StringComparison.Ordinal);
        Assert.Contains("CREATE TABLE loginetl_inbox_slots (slot smallint PRIMARY KEY, bucket bigint);", script, StringComparison.Ordinal);
        Assert.Contains("ALTER TABLE loginetl_inbox ATTACH PARTITION loginetl_inbox_legacy FOR VALUES IN (-1);", script, StringComparison.Ordinal);
        Assert.Contains("CREATE TABLE loginetl_mask_recovery (", script, StringComparison.Ordinal);
        Assert.Contains("masked_value character varying(256) NOT NULL", script, StringComparison.Ordinal);
        Assert.Contains("CONSTRAINT \"PK_loginetl_mask_recovery\" PRIMARY KEY (masked_value)", script, StringComparison.Ordinal);
        Assert.DoesNotContain("CREATE TABLE user_logins", script, StringComparison.Ordinal);
    }

    // What EF would put in a new migration: the snapshot's model against the context's, as PostgreSQL commands.
    string SnapshotDifferences()
    {
        // A snapshot of our own: the one EF caches is finalized once, by EF, and must not be touched here.
        var snapshotType = _db.GetService<IMigrationsAssembly>().ModelSnapshot!.GetType();
        IModel snapshot = ((ModelSnapshot)Activator.CreateInstance(snapshotType)!).Model;
        if (snapshot is IMutableModel mutable)
            snapshot = mutable.FinalizeModel();
        snapshot = _db.GetService<IModelRuntimeInitializer>().Initialize(snapshot, designTime: true, validationLogger: null);

        var model = _db.GetService<IDesignTimeModel>().Model;
        var operations = _db.GetService<IMigrationsModelDiffer>().GetDifferences(snapshot.GetRelationalModel(), model.GetRelationalModel());
        if (operations.Count == 0)
            return "";

        var names = operations.Select(o => o.GetType().Name);
        try
        {
            var commands = _db.GetService<IMigrationsSqlGenerator>().Generate(operations, model);
            return string.Join('\n', names.Concat(commands.Select(c => c.CommandText.Trim())));
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException)
        {
            return string.Join('\n', names.Append($"(no SQL: {ex.Message})"));
        }
    }
}
