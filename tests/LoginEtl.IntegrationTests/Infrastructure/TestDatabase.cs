using LoginEtl.Worker.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>A database of its own for one test, migrated by the service's own migrations, dropped afterwards.</summary>
sealed class TestDatabase : IAsyncDisposable
{
    TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
        _own = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false });
    }

    public string Name { get; }

    /// <summary>For the service under test.</summary>
    public string ConnectionString { get; }

    // The test's own connections. Npgsql keeps the data source of every connection string opened by NpgsqlConnection
    // for as long as the process runs, and reports each in its metrics: one for each database of a whole run would
    // crowd the series of the service's own pool out of its /metrics (200 series a metric, and the service's pool
    // sorts last). A data source of the test's own leaves those metrics when it is disposed. Unpooled: no connection of
    // it outlives a restart of the server that a test makes.
    readonly NpgsqlDataSource _own;

    /// <summary>A connection of the test's own, not yet open.</summary>
    public NpgsqlConnection CreateConnection() => _own.CreateConnection();

    public static async Task<TestDatabase> CreateAsync(bool migrate = true)
    {
        var name = $"loginetl_test_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(TestServices.PostgresAdmin))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(TestServices.PostgresAdmin) { Database = name };
        var database = new TestDatabase(name, builder.ConnectionString);
        if (migrate)
        {
            await using var db = database.CreateContext();
            await db.Database.MigrateAsync();
        }

        return database;
    }

    public LoginDbContext CreateContext() =>
        new(new DbContextOptionsBuilder<LoginDbContext>().UseNpgsql(_own.CreateConnection(), contextOwnsConnection: true).Options);

    public async Task<List<UserLogin>> LoginsAsync()
    {
        await using var db = CreateContext();
        return await db.UserLogins.AsNoTracking().ToListAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = _own.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = _own.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// A login role of its own with every right on this database's tables, for a test that takes a right away from the
    /// service while it runs (the admin, which owns the tables, keeps them); its connection string.
    /// </summary>
    public async Task<(string Role, string ConnectionString)> CreateRoleAsync()
    {
        var role = $"etl_{Guid.NewGuid():N}"[..20];
        await AdminAsync($"CREATE ROLE {role} LOGIN; GRANT CONNECT ON DATABASE {Name} TO {role}");
        await ExecuteAsync($"GRANT USAGE ON SCHEMA public TO {role}; GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}");
        return (role, new NpgsqlConnectionStringBuilder(ConnectionString) { Username = role }.ConnectionString);
    }

    /// <summary>Ends the role's sessions and drops it with what it owns.</summary>
    public async Task DropRoleAsync(string role)
    {
        NpgsqlConnection.ClearAllPools();
        await AdminAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'");
        await AdminAsync($"DROP OWNED BY {role}", Name);
        await AdminAsync($"DROP ROLE IF EXISTS {role}");
    }

    /// <summary>Runs <paramref name="sql"/> as the admin, in the server's own database or in <paramref name="database"/>.</summary>
    public static async Task AdminAsync(string sql, string? database = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(TestServices.PostgresAdmin) { Pooling = false };
        if (database is not null)
            builder.Database = database;
        // A data source of its own, disposed: see _own.
        await using var source = NpgsqlDataSource.Create(builder);
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _own.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestServices.PostgresAdmin);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
