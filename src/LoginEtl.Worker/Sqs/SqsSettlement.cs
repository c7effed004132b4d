using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Telemetry;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// The one owner of every received message until it is settled, whatever became of it. It counts messages in flight
/// against <see cref="SqsOptions.MaxInFlight"/> (in receives of ten), keeps them invisible while they are processed,
/// and settles each as its <see cref="Settlement"/> says: deleted once stored or stored before, deleted once the
/// dead-letter queue has it, or released with its redelivery delay (after a transient failure, or when the dead-letter
/// queue refused it). Nothing else deletes, releases or counts a message.
/// A batch gives its room back once every message in it is decided and its bodies are let go, not when SQS answers
/// the delete: against a real SQS that round trip is milliseconds in which the next receive may already be under way.
/// Batches waiting on that answer hold only receipt handles, and are bounded apart, by as many again.
/// </summary>
public sealed partial class SqsSettlement(
    IAmazonSQS sqs,
    SqsQueues queues,
    DeadLetterSender deadLetters,
    VisibilityHeartbeat heartbeat,
    LoginEtlTelemetry telemetry,
    IOptions<SqsOptions> options,
    ILogger<SqsSettlement> logger)
{
    readonly SemaphoreSlim _room = new(options.Value.ReceivesInFlight);
    readonly SemaphoreSlim _answering = new(options.Value.ReceivesInFlight);

    /// <summary>Waits until one more receive of ten fits under the cap.</summary>
    public Task WaitForRoomAsync(CancellationToken cancellationToken) => _room.WaitAsync(cancellationToken);

    /// <summary>Gives back the room of a receive that brought nothing or failed.</summary>
    public void Unused() => _room.Release();

    /// <summary>Takes charge of what a receive brought: in flight and kept invisible from now until settled.</summary>
    public Batch Take(List<Message> messages)
    {
        telemetry.Received(messages.Count);
        return new Batch(messages, heartbeat.Hold(messages));
    }

    /// <summary>Settles every message of <paramref name="batch"/> as <paramref name="settlements"/> says, dead letters first.</summary>
    public async Task SettleAsync(Batch batch, IReadOnlyList<Settlement> settlements)
    {
        var messages = batch.Messages;
        var count = messages.Count;
        var roomReturned = false;
        try
        {
            var sent = await Task.WhenAll(settlements.Select((s, i) => s.Kind == SettlementKind.DeadLetter
                ? deadLetters.SendAsync(messages[i], s.Identity, s.Rejection!)
                : Task.FromResult(false)));
            // Let go before settling: a renewal never overrides a delete or a redelivery delay.
            await batch.Lease.DisposeAsync();

            var ids = new string[count];
            var deletes = new List<DeleteMessageBatchRequestEntry>(count);
            var releases = new List<ChangeMessageVisibilityBatchRequestEntry>();
            for (var i = 0; i < count; i++)
            {
                var (settlement, id) = (settlements[i], i.ToString(CultureInfo.InvariantCulture));
                ids[i] = messages[i].MessageId;
                if (settlement.Kind == SettlementKind.Delete || sent[i])
                {
                    deletes.Add(new DeleteMessageBatchRequestEntry(id, messages[i].ReceiptHandle));
                    if (sent[i])
                        telemetry.DeadLettered(settlement.Rejection!.Kind);
                }
                else
                {
                    releases.Add(new ChangeMessageVisibilityBatchRequestEntry(id, messages[i].ReceiptHandle)
                    {
                        VisibilityTimeout = (int)Math.Ceiling(settlement.Delay.TotalSeconds),
                    });
                    telemetry.Redelivered();
                }
            }

            // Everything the batch still needs is in the entries: its bodies go, and its room with them.
            messages.Clear();
            await _answering.WaitAsync();
            try
            {
                _room.Release();
                roomReturned = true;
                await DeleteAndReleaseAsync(ids, deletes, releases);
            }
            finally
            {
                _answering.Release();
            }
        }
        finally
        {
            telemetry.Settled(count);
            if (!roomReturned)
                _room.Release();
        }
    }

    async Task DeleteAndReleaseAsync(string[] messageIds, List<DeleteMessageBatchRequestEntry> deletes,
        List<ChangeMessageVisibilityBatchRequestEntry> releases)
    {
        try
        {
            if (deletes.Count > 0)
            {
                var response = await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest { QueueUrl = queues.QueueUrl, Entries = deletes });
                foreach (var failed in response.Failed ?? [])
                    LogSettleFailed(logger, "delete", messageIds[int.Parse(failed.Id, CultureInfo.InvariantCulture)], failed.Code);
            }

            if (releases.Count > 0)
            {
                var response = await sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest { QueueUrl = queues.QueueUrl, Entries = releases });
                foreach (var failed in response.Failed ?? [])
                    LogSettleFailed(logger, "release", messageIds[int.Parse(failed.Id, CultureInfo.InvariantCulture)], failed.Code);
            }
        }
        catch (Exception ex) when (SqsFailures.IsTransient(ex))
        {
            // Nothing is lost: an undeleted message comes back when its visibility runs out, and its inbox record makes
            // that delivery a no-op (a dead letter's, a second copy in the dead-letter queue).
            LogSettleBatchFailed(logger, messageIds.Length, ex.GetType().Name, ex.Message);
        }
    }

    /// <summary>The messages of one receive, held until each is decided.</summary>
    public sealed record Batch(List<Message> Messages, VisibilityHeartbeat.Lease Lease);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Could not {Action} message {MessageId}: {Code}")]
    static partial void LogSettleFailed(ILogger logger, string action, string messageId, string code);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Could not settle {Count} messages ({ErrorType}: {Error}); they will be redelivered")]
    static partial void LogSettleBatchFailed(ILogger logger, int count, string errorType, string error);
}
