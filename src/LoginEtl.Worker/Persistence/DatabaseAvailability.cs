using System.Net.Sockets;
using LoginEtl.Worker.Telemetry;
using Npgsql;
using NpgsqlTypes;

namespace LoginEtl.Worker.Persistence;

/// <summary>
/// Whether the database takes writes. A commit that fails for any reason that is not one row's fault (unreachable,
/// read-only after a failover, disk full, too many connections, a revoked grant...) starts an outage: the pollers stop
/// taking messages (each receive would only add to a message's receive count, and after maxReceiveCount SQS would
/// dead-letter a valid message), readiness reports it, and a loop of its own probes every second, with the writes a
/// commit makes (in a transaction it rolls back), until they succeed; then consuming resumes by itself.
/// </summary>
public sealed partial class DatabaseAvailability : BackgroundService
{
    static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    readonly NpgsqlDataSource _dataSource;
    readonly ILogger<DatabaseAvailability> _logger;
    readonly Lock _lock = new();
    readonly SemaphoreSlim _outageStarted = new(0, 1);
    TaskCompletionSource _available = Available();
    string _reason = "";

    public DatabaseAvailability(NpgsqlDataSource dataSource, LoginEtlTelemetry telemetry, ILogger<DatabaseAvailability> logger)
    {
        _dataSource = dataSource;
        _logger = logger;
        telemetry.ObserveDatabaseWritable(() => IsAvailable);
    }

    public bool IsAvailable => _available.Task.IsCompleted;

    /// <summary>Why writes are refused, while they are: the error's type and SQL state, never its message.</summary>
    public string Reason
    {
        get
        {
            lock (_lock)
                return _reason;
        }
    }

    /// <summary>Completes at once while the database takes writes, otherwise once the probe's writes succeed again.</summary>
    public Task WaitUntilAvailableAsync(CancellationToken cancellationToken)
    {
        var available = _available.Task;
        return available.IsCompleted ? Task.CompletedTask : available.WaitAsync(cancellationToken);
    }

    /// <summary>Called with every failed commit: a refusal that is not one row's fault starts an outage.</summary>
    public void ReportFailure(Exception exception)
    {
        if (!IsRefusal(exception))
            return;

        lock (_lock)
        {
            if (!_available.Task.IsCompleted)
                return;
            _available = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _reason = Describe(exception);
        }

        LogUnavailable(_logger, exception.GetType().Name, exception.Message);
        _outageStarted.Release();
    }

    /// <summary>
    /// Whether a failed write says the database refuses writes, rather than that one row was refused (class 22, data
    /// exception; class 23, integrity constraint violation) or that the transaction lost a race it can retry (class 40).
    /// </summary>
    public static bool IsRefusal(Exception exception) => exception switch
    {
        PostgresException postgres => !(postgres.SqlState.StartsWith("22", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("23", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("40", StringComparison.Ordinal)),
        NpgsqlException or SocketException or TimeoutException or IOException => true,
        _ => exception.InnerException is { } inner && IsRefusal(inner),
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await _outageStarted.WaitAsync(stoppingToken);
                while (await RefusalAsync(stoppingToken) is { } refusal)
                {
                    lock (_lock)
                        _reason = Describe(refusal);
                    // Pooled sessions may be the refusal (opened read-only, or to a server that is gone): the next try,
                    // and the writer after it, open new ones.
                    _dataSource.Clear();
                    await Task.Delay(ProbeInterval, stoppingToken);
                }

                lock (_lock)
                {
                    _reason = "";
                    _available.TrySetResult();
                }

                LogAvailable(_logger);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host stops; pollers waiting for the database stop with it.
        }
    }

    // What a commit needs, tried in a transaction that is rolled back: a session that may write, and an insert into each
    // of the tables the writer inserts into. Null when all of it worked.
    async Task<Exception?> RefusalAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var readOnly = new NpgsqlCommand("SHOW transaction_read_only", connection, transaction))
            {
                if (await readOnly.ExecuteScalarAsync(cancellationToken) is "on")
                    return new PostgresException("the session is read-only", "ERROR", "ERROR", PostgresErrorCodes.ReadOnlySqlTransaction);
            }

            await using (var insert = new NpgsqlCommand(ProbeSql, connection, transaction))
            {
                var now = DateTime.UtcNow;
                insert.Parameters.Add(new NpgsqlParameter<DateTime>("sent_at", NpgsqlDbType.TimestampTz) { TypedValue = now });
                insert.Parameters.Add(new NpgsqlParameter<Guid>("key", NpgsqlDbType.Uuid) { TypedValue = Guid.NewGuid() });
                insert.Parameters.Add(new NpgsqlParameter<short>("slot", NpgsqlDbType.Smallint) { TypedValue = InboxLayout.SlotOf(now) });
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.RollbackAsync(cancellationToken);
            return null;
        }
        catch (Exception ex) when (IsRefusal(ex) && !cancellationToken.IsCancellationRequested)
        {
            return ex;
        }
    }

    const string ProbeSql = """
        INSERT INTO loginetl_inbox (sent_at, message_key, slot) VALUES (@sent_at, @key, @slot);
        INSERT INTO user_logins (user_id) VALUES (NULL);
        INSERT INTO loginetl_mask_recovery (masked_value, field, key_fingerprint, sealed_value) VALUES (@key::text, 'ip', '', '');
        INSERT INTO loginetl_outbox (message_id, body) VALUES (@key::text, '{}');
        """;

    static string Describe(Exception exception) => exception switch
    {
        PostgresException postgres => $"{postgres.GetType().Name} {postgres.SqlState}",
        _ when exception.InnerException is PostgresException inner => $"{inner.GetType().Name} {inner.SqlState}",
        _ => exception.GetType().Name,
    };

    static TaskCompletionSource Available()
    {
        var available = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        available.SetResult();
        return available;
    }

    public override void Dispose()
    {
        _outageStarted.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "The database refuses writes ({ErrorType}: {Error}); no new messages are taken until it takes them again")]
    static partial void LogUnavailable(ILogger logger, string errorType, string error);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "The database takes writes again; taking messages")]
    static partial void LogAvailable(ILogger logger);
}
