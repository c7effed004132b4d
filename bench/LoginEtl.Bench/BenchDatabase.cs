using LoginEtl.Worker.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LoginEtl.Bench;

/// <summary>
/// The benchmark's own schema in the configured database: created and migrated at start, dropped at the end. Every
/// statement of the benchmark names the schema, and before a phase runs the service (whose statements rely on
/// search_path) the schema must be the connection's current_schema(): behind a pooler that ignores search_path the
/// service would otherwise write to, and the benchmark empty, the configured database's own tables.
/// </summary>
sealed class BenchDatabase
{
    readonly string _schema;

    public BenchDatabase(string connectionString, string schema)
    {
        _schema = schema;
        ConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema }.ConnectionString;
    }

    /// <summary>The configured connection string with search_path set to the schema: what the service's phases use.</summary>
    public string ConnectionString { get; }

    string Inbox => $"{_schema}.{LoginDbContext.InboxTable}";

    public async Task CreateAsync()
    {
        await ExecuteAsync($"CREATE SCHEMA {_schema}");
        await EnsureIsolatedAsync();
        await using var db = new LoginDbContext(new DbContextOptionsBuilder<LoginDbContext>().UseNpgsql(ConnectionString).Options);
        await db.Database.MigrateAsync();
    }

    /// <summary>Refuses to go on when the schema is not the current one on the service's connections.</summary>
    public async Task EnsureIsolatedAsync()
    {
        // NULL when no schema of the search path exists.
        var current = await ScalarAsync<object>("SELECT current_schema()") as string;
        if (current != _schema)
            throw new StartupException($"the benchmark's connections work in schema '{current ?? "(none)"}', not in its own '{_schema}' " +
                "(a connection pooler that ignores search_path?): it would write to the configured database's tables, so it stops");
    }

    public Task<long> CountLoginsAsync() => ScalarAsync<long>($"SELECT count(*) FROM {_schema}.{LoginDbContext.UserLoginsTable}");

    public Task<long> CountInboxAsync() => ScalarAsync<long>($"SELECT count(*) FROM {Inbox}");

    /// <summary>Bytes on disk of every inbox partition, indexes included.</summary>
    public Task<long> InboxBytesAsync() => ScalarAsync<long>(
        $"SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0)::bigint FROM pg_inherits WHERE inhparent = '{Inbox}'::regclass");

    /// <summary>Empties user_logins only: the inbox keeps what it holds.</summary>
    public Task DeleteLoginsAsync() => ExecuteAsync($"TRUNCATE {_schema}.{LoginDbContext.UserLoginsTable}");

    public Task EmptyAsync() => ExecuteAsync(
        $"TRUNCATE {_schema}.{LoginDbContext.UserLoginsTable}, {Inbox}, {_schema}.{LoginDbContext.MaskRecoveryTable}, {_schema}.{LoginDbContext.OutboxTable}");

    /// <summary>
    /// Fills the inbox with <paramref name="entries"/> entries whose first sends are spread evenly over the
    /// <paramref name="window"/> that ends now, oldest first, as a service would have written them.
    /// </summary>
    public async Task PrefillInboxAsync(long entries, TimeSpan window, Action<long> progress)
    {
        const long Chunk = 1_000_000;
        var start = DateTime.UtcNow - window;
        var step = window / entries;
        for (var from = 0L; from < entries; from += Chunk)
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"""
                INSERT INTO {Inbox} (sent_at, message_key, slot)
                SELECT t, gen_random_uuid(), (floor(extract(epoch FROM t) / @bucket_seconds)::bigint % @slots)::smallint
                FROM (SELECT @start + @step * i AS t FROM generate_series(@from, @to - 1) i) g
                """, connection) { CommandTimeout = 0 };
            command.Parameters.Add(new NpgsqlParameter<double>("bucket_seconds", InboxLayout.Bucket.TotalSeconds));
            command.Parameters.Add(new NpgsqlParameter<int>("slots", InboxLayout.Slots));
            command.Parameters.Add(new NpgsqlParameter<DateTime>("start", start));
            command.Parameters.Add(new NpgsqlParameter<TimeSpan>("step", step));
            command.Parameters.Add(new NpgsqlParameter<long>("from", from));
            command.Parameters.Add(new NpgsqlParameter<long>("to", Math.Min(entries, from + Chunk)));
            await command.ExecuteNonQueryAsync();
            progress(Math.Min(entries, from + Chunk));
        }

        // As autovacuum would have by then on a long-running inbox.
        await ExecuteAsync($"VACUUM ANALYZE {Inbox}");
    }

    public async Task DropAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
    }

    async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }
}
