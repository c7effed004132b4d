using System.Net.Sockets;
using Npgsql;

namespace LoginEtl.Worker.Persistence;

/// <summary>
/// Whether the database can take writes. When a commit fails for want of a connection, the pollers stop
/// taking messages (each receive would only add to the message's receive count, and after maxReceiveCount SQS
/// would dead-letter a valid message) and a probe checks the database every second until it answers again.
/// </summary>
public sealed partial class DatabaseAvailability(NpgsqlDataSource dataSource, ILogger<DatabaseAvailability> logger)
{
    static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    readonly Lock _lock = new();
    TaskCompletionSource _available = Available();

    public bool IsAvailable => _available.Task.IsCompleted;

    /// <summary>Completes at once while the database is available, otherwise once the probe reaches it again.</summary>
    public Task WaitUntilAvailableAsync(CancellationToken cancellationToken) =>
        _available.Task.IsCompleted ? Task.CompletedTask : _available.Task.WaitAsync(cancellationToken);

    /// <summary>Called with every failed commit: a failure to reach the server starts an outage.</summary>
    public void ReportFailure(Exception exception)
    {
        if (!IsConnectionFailure(exception))
            return;

        lock (_lock)
        {
            if (!_available.Task.IsCompleted)
                return;
            _available = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        LogUnavailable(logger, exception.GetType().Name, exception.Message);
        _ = Task.Run(ProbeUntilAvailableAsync);
    }

    static bool IsConnectionFailure(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
            || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal), // shutdown, crash, cannot connect now
        NpgsqlException or SocketException or TimeoutException or IOException => true,
        _ => exception.InnerException is { } inner && IsConnectionFailure(inner),
    };

    async Task ProbeUntilAvailableAsync()
    {
        while (true)
        {
            await Task.Delay(ProbeInterval);
            try
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync();
                break;
            }
            catch (Exception ex) when (IsConnectionFailure(ex))
            {
                // Still down.
            }
        }

        LogAvailable(logger);
        _available.TrySetResult();
    }

    static TaskCompletionSource Available()
    {
        var available = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        available.SetResult();
        return available;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "The database is unreachable ({ErrorType}: {Error}); no new messages are taken until it answers")]
    static partial void LogUnavailable(ILogger logger, string errorType, string error);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "The database answers again; taking messages")]
    static partial void LogAvailable(ILogger logger);
}
