using Npgsql;

namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>Holds an exclusive lock on loginetl_inbox, so every commit of the service waits until it is released.</summary>
sealed class InboxLock : IAsyncDisposable
{
    readonly NpgsqlConnection _connection;
    readonly NpgsqlTransaction _transaction;

    InboxLock(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    public static async Task<InboxLock> TakeAsync(TestDatabase database)
    {
        var connection = database.CreateConnection();
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE loginetl_inbox IN EXCLUSIVE MODE", connection, transaction))
            await lockTable.ExecuteNonQueryAsync();
        return new InboxLock(connection, transaction);
    }

    public async ValueTask DisposeAsync()
    {
        await _transaction.RollbackAsync();
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
