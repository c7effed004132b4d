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
    }

    public string Name { get; }

    public string ConnectionString { get; }

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
        new(new DbContextOptionsBuilder<LoginDbContext>().UseNpgsql(ConnectionString).Options);

    public async Task<List<UserLogin>> LoginsAsync()
    {
        await using var db = CreateContext();
        return await db.UserLogins.AsNoTracking().ToListAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
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
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestServices.PostgresAdmin);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
