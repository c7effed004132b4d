using System.Diagnostics;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Telemetry;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// Where received messages are counted and settled. A poller reserves room for a receive of ten under
/// <see cref="SqsOptions.MaxInFlight"/> (<see cref="ReserveAsync"/>); what the receive brought becomes a
/// <see cref="ReceivedBatch"/>, the one owner of those messages until each is settled: deleted once stored or stored
/// before, deleted once the dead-letter queue has it, or released with its redelivery delay (after a transient failure,
/// when the dead-letter queue refused it, or when nothing decided it). Nothing else deletes, releases or counts a
/// message.
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
    readonly SqsOptions _options = options.Value;
    long _inFlight;
    long _lastMovedAt = Stopwatch.GetTimestamp();

    /// <summary>Messages received and not yet settled.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Messages are held but none has been received or settled for longer than <paramref name="threshold"/>.</summary>
    public bool IsStalled(TimeSpan threshold) =>
        InFlight > 0 && Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastMovedAt)) > threshold;

    /// <summary>
    /// Waits until one more receive of ten fits under the cap. The room is given back when the returned reservation
    /// is disposed, unless a batch took it over (<see cref="Room.Take"/>).
    /// </summary>
    public async Task<Room> ReserveAsync(CancellationToken cancellationToken)
    {
        await _room.WaitAsync(cancellationToken);
        return new Room(this);
    }

    ReceivedBatch Take(List<Message> messages)
    {
        telemetry.Received(_options.QueueName, messages.Count);
        Interlocked.Add(ref _inFlight, messages.Count);
        Interlocked.Exchange(ref _lastMovedAt, Stopwatch.GetTimestamp());
        return new ReceivedBatch(this, messages, heartbeat.Hold(messages));
    }

    // Settles every message of the batch, dead letters first; an undecided message is released. Never throws, and
    // whatever happens on the way the batch's room and its count in flight are given back.
    internal async Task SettleAsync(ReceivedBatch batch)
    {
        var messages = batch.Messages;
        var count = messages.Count;
        var roomReturned = false;
        try
        {
            var settlements = new Settlement[count];
            for (var i = 0; i < count; i++)
                settlements[i] = batch.DecisionOf(i) ?? Settlement.Released(_options.RedeliveryDelayFor(SqsMessages.ReceiveCountOf(messages[i])));

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
                Settled(count);
                roomReturned = true;
                await DeleteAndReleaseAsync(ids, deletes, releases);
            }
            finally
            {
                _answering.Release();
            }
        }
        catch (Exception ex)
        {
            // Nothing is lost: what was not deleted comes back when its visibility runs out.
            LogSettleCrashed(logger, count, ex);
        }
        finally
        {
            if (!roomReturned)
                Settled(count);
        }
    }

    void Settled(int count)
    {
        Interlocked.Add(ref _inFlight, -count);
        Interlocked.Exchange(ref _lastMovedAt, Stopwatch.GetTimestamp());
        telemetry.Settled(count);
        _room.Release();
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
            // that delivery a no-op (a dead letter's, a second copy in the dead-letter queue, counted once by identity).
            LogSettleBatchFailed(logger, messageIds.Length, ex.GetType().Name, ex.Message);
        }
    }

    /// <summary>Room for one receive, held from before the receive until a batch takes it over or it is disposed.</summary>
    public sealed class Room : IDisposable
    {
        readonly SqsSettlement _owner;
        int _held = 1;

        internal Room(SqsSettlement owner) => _owner = owner;

        /// <summary>Hands the room to the batch of what the receive brought (at least one message).</summary>
        public ReceivedBatch Take(List<Message> messages)
        {
            if (Interlocked.Exchange(ref _held, 0) == 0)
                throw new InvalidOperationException("This room was already given back or taken");
            return _owner.Take(messages);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _held, 0) == 1)
                _owner._room.Release();
        }
    }

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Could not {Action} message {MessageId}: {Code}")]
    static partial void LogSettleFailed(ILogger logger, string action, string messageId, string code);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Could not settle {Count} messages ({ErrorType}: {Error}); they will be redelivered")]
    static partial void LogSettleBatchFailed(ILogger logger, int count, string errorType, string error);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Critical, Message = "Settling a batch of {Count} messages failed unexpectedly; what was not deleted will be redelivered")]
    static partial void LogSettleCrashed(ILogger logger, int count, Exception exception);
}
