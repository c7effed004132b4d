using System.Globalization;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Aws;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LoginEtl.Worker.Outbox;

/// <summary>
/// Sends the events the writer committed to <c>loginetl_outbox</c> to <c>Outbox__QueueName</c>, oldest first, and
/// deletes each once SQS has accepted it. Rows are claimed with FOR UPDATE SKIP LOCKED, so replicas share the work;
/// a crash between send and delete means a second delivery (at least once), never a lost or an uncommitted event.
/// </summary>
public sealed partial class OutboxSender(
    IAmazonSQS sqs,
    OutboxSignal signal,
    NpgsqlDataSource dataSource,
    IOptions<OutboxOptions> options,
    ILogger<OutboxSender> logger) : BackgroundService
{
    const int RowsPerTransaction = 100;
    const string MessageTypeAttribute = "loginetl.message-type";
    static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);

    string? _queueUrl;

    /// <summary>Resolves the outbox queue; a missing one is a <see cref="StartupException"/> naming Outbox__QueueName.</summary>
    public async Task ResolveAsync(CancellationToken cancellationToken)
    {
        if (signal.Enabled)
            _queueUrl = await SqsQueueUrl.ResolveAsync(sqs, options.Value.QueueName!, "Outbox__QueueName", cancellationToken);
    }

    /// <summary>Whether committed events are still waiting to be sent.</summary>
    public async Task<bool> HasPendingAsync(CancellationToken cancellationToken)
    {
        if (!signal.Enabled)
            return false;
        await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT FROM loginetl_outbox)");
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!signal.Enabled)
            return;

        var sending = Backoff.Forever(ex => ex is NpgsqlException || SqsFailures.IsTransient(ex),
            (ex, delay) => LogSendFailed(logger, ex.GetType().Name, ex.Message, delay));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var sent = await sending.ExecuteAsync(static (sender, token) => new ValueTask<int>(sender.SendPendingAsync(token)), this, stoppingToken);
                if (sent < RowsPerTransaction)
                    await signal.WaitAsync(IdlePoll, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    async Task<int> SendPendingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var rows = new List<(long Id, string Body)>(RowsPerTransaction);
        await using (var select = new NpgsqlCommand(
            "SELECT id, body FROM loginetl_outbox ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter<int>("limit", RowsPerTransaction));
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                rows.Add((reader.GetInt64(0), reader.GetString(1)));
        }

        if (rows.Count == 0)
            return 0;

        var responses = await Task.WhenAll(rows.Chunk(10).Select(chunk => sqs.SendMessageBatchAsync(new SendMessageBatchRequest
        {
            QueueUrl = _queueUrl,
            Entries = chunk.Select(r => new SendMessageBatchRequestEntry(r.Id.ToString(CultureInfo.InvariantCulture), r.Body)
            {
                MessageAttributes = new() { [MessageTypeAttribute] = new MessageAttributeValue { DataType = "String", StringValue = "LoginRecorded" } },
            }).ToList(),
        }, cancellationToken)));

        var sentIds = responses.SelectMany(r => r.Successful ?? []).Select(s => long.Parse(s.Id, CultureInfo.InvariantCulture)).ToArray();
        foreach (var failed in responses.SelectMany(r => r.Failed ?? []))
            LogEntryFailed(logger, failed.Id, failed.Code);

        await using (var delete = new NpgsqlCommand("DELETE FROM loginetl_outbox WHERE id = ANY(@ids)", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter<long[]>("ids", sentIds));
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return rows.Count;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Sending outbox events failed ({ErrorType}: {Error}); retrying in {Backoff}")]
    static partial void LogSendFailed(ILogger logger, string errorType, string error, TimeSpan backoff);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Outbox event {Id} was not accepted ({Code}); it stays for the next attempt")]
    static partial void LogEntryFailed(ILogger logger, string id, string code);
}
