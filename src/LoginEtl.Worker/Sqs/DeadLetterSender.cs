using System.Globalization;
using System.Text;
using System.Threading.Channels;
using System.Threading.RateLimiting;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Logins;
using LoginEtl.Worker.Persistence;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// The way to the dead-letter queue, for all pollers together: up to ten messages to a SendMessageBatch call, waiting at
/// most <see cref="Linger"/> for a batch to fill, a few batches at once. It only sends: each caller learns whether the
/// dead-letter queue took its message, and <see cref="SqsSettlement"/> settles it. It holds at most
/// <see cref="MaxHeldKiB"/> KiB of messages, so a flood of the largest bodies slows the pollers down instead of piling
/// up here.
/// </summary>
public sealed partial class DeadLetterSender(
    IAmazonSQS sqs,
    SqsQueues queues,
    MessageIdentity identities,
    IOptions<SqsOptions> options,
    ILogger<DeadLetterSender> logger) : BackgroundService
{
    // Four batches at SendMessageBatch's limit being sent and as many gathered: invalid events of a few hundred bytes are
    // far below it, while 200 bodies of 256 KiB (512 KiB each as .NET strings) would be 100 MiB.
    public const int MaxHeldKiB = 2 * 1024;
    const int MaxEntries = 10;
    const int MaxConcurrentBatches = 4;
    // SendMessageBatch refuses a request whose bodies and attributes add up to more than this.
    const int MaxBatchBytes = 256 * 1024;
    const int MaxMessageAttributes = 10;

    /// <summary>How long the first message of a batch waits for others to join it.</summary>
    static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(100);

    readonly Channel<DeadLetter> _pending = Channel.CreateUnbounded<DeadLetter>(new UnboundedChannelOptions { SingleReader = true });
    readonly SemaphoreSlim _batchSlots = new(MaxConcurrentBatches, MaxConcurrentBatches);
    readonly ConcurrencyLimiter _heldKiB = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = MaxHeldKiB,
        QueueLimit = int.MaxValue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    /// <summary>
    /// Sends <paramref name="message"/> to the dead-letter queue, untouched, with <paramref name="rejection"/> and its
    /// identity as attributes; true once the queue has it, false when it refused it or could not be reached.
    /// </summary>
    public async Task<bool> SendAsync(Message message, InboxKey identity, Rejection rejection)
    {
        var attributes = Attributes(message, identity, rejection);
        var bytes = SizeOf(message, attributes);
        // In whole KiB; a message larger than the whole allowance waits until nothing else is held.
        var letter = new DeadLetter(message, identity, rejection, attributes, bytes, await _heldKiB.AcquireAsync(Math.Min((bytes + 1023) / 1024, MaxHeldKiB)));
        if (!_pending.Writer.TryWrite(letter))
        {
            letter.Lease.Dispose();
            return false;
        }

        return await letter.Sent.Task;
    }

    // Runs until the host stops it, which it does once the pollers have stopped (they are registered after it), and then
    // sends what is still pending.
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var stop = stoppingToken.Register(() => _pending.Writer.TryComplete());
        var reader = _pending.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            var batch = await GatherAsync(reader);
            await _batchSlots.WaitAsync(CancellationToken.None);
            _ = SendBatchAsync(batch);
        }

        for (var i = 0; i < MaxConcurrentBatches; i++)
            await _batchSlots.WaitAsync(CancellationToken.None);
    }

    public override void Dispose()
    {
        _heldKiB.Dispose();
        _batchSlots.Dispose();
        base.Dispose();
    }

    // Up to ten messages within the size limit, waiting at most Linger after the first for the others.
    static async Task<List<DeadLetter>> GatherAsync(ChannelReader<DeadLetter> reader)
    {
        var batch = new List<DeadLetter>(MaxEntries);
        var bytes = 0;
        var deadline = DateTime.UtcNow + Linger;
        while (batch.Count < MaxEntries)
        {
            if (reader.TryPeek(out var next))
            {
                if (batch.Count > 0 && bytes + next.Bytes > MaxBatchBytes)
                    break;
                reader.TryRead(out _);
                batch.Add(next);
                bytes += next.Bytes;
                continue;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (batch.Count > 0 && remaining <= TimeSpan.Zero)
                break;
            var more = reader.WaitToReadAsync().AsTask();
            if (batch.Count > 0 && await Task.WhenAny(more, Task.Delay(remaining)) != more)
                break;
            if (!await more)
                break;
        }

        return batch;
    }

    async Task SendBatchAsync(List<DeadLetter> batch)
    {
        var failures = new (string Type, string Error)?[batch.Count];
        try
        {
            var response = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest
            {
                QueueUrl = queues.DeadLetterQueueUrl,
                Entries = batch.Select((letter, i) => Entry(i, letter)).ToList(),
            });
            foreach (var failed in response.Failed ?? [])
                failures[int.Parse(failed.Id, CultureInfo.InvariantCulture)] = ("refused", failed.Code);
        }
        catch (Exception ex) when (SqsFailures.IsTransient(ex))
        {
            Array.Fill(failures, (ex.GetType().Name, ex.Message));
        }
        catch (Exception ex)
        {
            LogBatchCrashed(logger, batch.Count, ex);
            Array.Fill(failures, (ex.GetType().Name, ex.Message));
        }
        finally
        {
            _batchSlots.Release();
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var letter = batch[i];
            letter.Lease.Dispose();
            if (failures[i] is { } failure)
                LogDeadLetterFailed(logger, letter.Identity.MessageId, letter.Rejection.Kind, failure.Type, failure.Error);
            else
                LogDeadLettered(logger, letter.Identity.MessageId, letter.Rejection.Kind, letter.Rejection.Reason);
            letter.Sent.TrySetResult(failures[i] is null);
        }
    }

    SendMessageBatchRequestEntry Entry(int index, DeadLetter letter)
    {
        var entry = new SendMessageBatchRequestEntry(index.ToString(CultureInfo.InvariantCulture), letter.Message.Body)
        {
            MessageAttributes = letter.Attributes,
        };
        return queues.IsFifo ? entry.ForFifo(letter.Message, letter.Identity) : entry;
    }

    // The reason travels as attributes next to the untouched body, with the message's identity (the id of its first
    // delivery, which a redrive keeps) and the producer's own attributes as far as SQS's limit of ten allows.
    Dictionary<string, MessageAttributeValue> Attributes(Message message, InboxKey identity, Rejection rejection)
    {
        var attributes = new Dictionary<string, MessageAttributeValue>(StringComparer.Ordinal)
        {
            [DeadLetterAttributes.ErrorKind] = StringAttribute(rejection.Kind),
            [DeadLetterAttributes.ErrorReason] = StringAttribute(rejection.Reason),
            [DeadLetterAttributes.OriginalMessageId] = StringAttribute(identity.MessageId),
            [DeadLetterAttributes.SourceQueue] = StringAttribute(options.Value.QueueName),
            [MessageIdentity.Attribute] = identities.AttributeFor(identity, message.Body),
        };
        foreach (var (name, value) in message.MessageAttributes ?? [])
        {
            if (attributes.Count < MaxMessageAttributes)
                attributes.TryAdd(name, value);
        }

        return attributes;
    }

    static MessageAttributeValue StringAttribute(string value) => new() { DataType = "String", StringValue = value };

    // As SQS counts a message's size: the body and every attribute's name, type and value, in UTF-8.
    static int SizeOf(Message message, Dictionary<string, MessageAttributeValue> attributes) =>
        Encoding.UTF8.GetByteCount(message.Body) + attributes.Sum(a =>
            Encoding.UTF8.GetByteCount(a.Key) + Encoding.UTF8.GetByteCount(a.Value.DataType ?? "")
            + Encoding.UTF8.GetByteCount(a.Value.StringValue ?? "") + (a.Value.BinaryValue?.Length is { } binary ? (int)binary : 0));

    sealed record DeadLetter(Message Message, InboxKey Identity, Rejection Rejection,
        Dictionary<string, MessageAttributeValue> Attributes, int Bytes, RateLimitLease Lease)
    {
        public TaskCompletionSource<bool> Sent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Message {MessageId} dead-lettered: {ErrorKind}: {ErrorReason}")]
    static partial void LogDeadLettered(ILogger logger, string messageId, string errorKind, string errorReason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Message {MessageId} ({ErrorKind}) could not be sent to the dead-letter queue ({ErrorType}: {Error}); it stays on the queue")]
    static partial void LogDeadLetterFailed(ILogger logger, string messageId, string errorKind, string errorType, string error);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Critical, Message = "Dead-lettering a batch of {Count} messages failed unexpectedly; they will be redelivered")]
    static partial void LogBatchCrashed(ILogger logger, int count, Exception exception);
}
