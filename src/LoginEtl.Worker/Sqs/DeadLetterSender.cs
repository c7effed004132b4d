using System.Globalization;
using System.Text;
using System.Threading.Channels;
using System.Threading.RateLimiting;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Telemetry;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// Moves invalid messages to the dead-letter queue for all pollers together: up to ten to a SendMessageBatch
/// call, each deleted from the source queue only once the dead-letter queue acknowledged it. A poller hands a
/// message over and goes on with its next receive; the sender holds at most <see cref="Capacity"/> messages and
/// <see cref="MaxHeldKiB"/> KiB of them, so a queue full of bad input, small or as large as SQS allows, slows the
/// pollers down instead of piling up here. A message the dead-letter
/// queue refused is left on the source queue with its redelivery delay, as a transient failure would be.
/// </summary>
sealed partial class DeadLetterSender
{
    public const int Capacity = 200;
    // Four batches at SendMessageBatch's limit being sent and as many gathered: 200 invalid events of a few hundred
    // bytes are far below it, while 200 bodies of 256 KiB (512 KiB each as .NET strings) would be 100 MiB.
    public const int MaxHeldKiB = 2 * 1024;
    const int MaxEntries = 10;
    const int MaxConcurrentBatches = 4;
    // SendMessageBatch refuses a request whose bodies and attributes add up to more than this.
    const int MaxBatchBytes = 256 * 1024;
    const int MaxMessageAttributes = 10;

    /// <summary>How long the first message of a batch waits for others to join it.</summary>
    static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(100);

    readonly IAmazonSQS _sqs;
    readonly SqsQueues _queues;
    readonly SqsOptions _options;
    readonly MessageIdentity _identities;
    readonly LoginEtlTelemetry _telemetry;
    readonly ILogger _logger;
    readonly Channel<DeadLetter> _pending = Channel.CreateBounded<DeadLetter>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait });
    readonly SemaphoreSlim _batchSlots = new(MaxConcurrentBatches, MaxConcurrentBatches);
    readonly ConcurrencyLimiter _heldKiB = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = MaxHeldKiB,
        QueueLimit = int.MaxValue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });
    readonly Task _loop;

    public DeadLetterSender(IAmazonSQS sqs, SqsQueues queues, SqsOptions options, MessageIdentity identities, LoginEtlTelemetry telemetry,
        ILogger logger)
    {
        _sqs = sqs;
        _queues = queues;
        _options = options;
        _identities = identities;
        _telemetry = telemetry;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// Takes over <paramref name="message"/> once there is room for it: from here on the sender settles it and
    /// reports it settled.
    /// </summary>
    public async ValueTask HandOverAsync(Message message, SqsDelivery delivery, DeadLetterReason reason)
    {
        var attributes = Attributes(message, delivery, reason);
        var bytes = SizeOf(message, attributes);
        // In whole KiB; a message larger than the whole allowance waits until nothing else is held.
        var lease = await _heldKiB.AcquireAsync(Math.Min((bytes + 1023) / 1024, MaxHeldKiB));
        try
        {
            await _pending.Writer.WriteAsync(new DeadLetter(message, delivery, reason, attributes, bytes, lease));
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>Sends and settles everything handed over; no more messages may come.</summary>
    public async Task CompleteAsync()
    {
        _pending.Writer.TryComplete();
        await _loop;
        await _heldKiB.DisposeAsync();
    }

    async Task RunAsync()
    {
        var reader = _pending.Reader;
        while (await reader.WaitToReadAsync())
        {
            var batch = await GatherAsync(reader);
            await _batchSlots.WaitAsync();
            _ = SendAndReleaseSlotAsync(batch);
        }

        for (var i = 0; i < MaxConcurrentBatches; i++)
            await _batchSlots.WaitAsync();
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

    async Task SendAndReleaseSlotAsync(List<DeadLetter> batch)
    {
        try
        {
            await SendAsync(batch);
        }
        catch (Exception ex)
        {
            // Not settled: the messages come back when their visibility runs out.
            LogBatchCrashed(_logger, batch.Count, ex);
        }
        finally
        {
            foreach (var letter in batch)
                letter.Lease.Dispose();
            _batchSlots.Release();
        }
    }

    async Task SendAsync(List<DeadLetter> batch)
    {
        var failures = new (string Type, string Error)?[batch.Count];
        try
        {
            var response = await _sqs.SendMessageBatchAsync(new SendMessageBatchRequest
            {
                QueueUrl = _queues.DeadLetterQueueUrl,
                Entries = batch.Select((letter, i) => new SendMessageBatchRequestEntry(Id(i), letter.Message.Body)
                {
                    MessageAttributes = letter.Attributes,
                }).ToList(),
            });
            foreach (var failed in response.Failed ?? [])
                failures[int.Parse(failed.Id, CultureInfo.InvariantCulture)] = ("refused", failed.Code);
        }
        catch (Exception ex) when (SqsFailures.IsTransient(ex))
        {
            Array.Fill(failures, (ex.GetType().Name, ex.Message));
        }

        try
        {
            var settlements = new SqsReceiveEndpoint.Settlement[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                var letter = batch[i];
                if (failures[i] is { } failure)
                {
                    LogDeadLetterFailed(_logger, letter.Message.MessageId, letter.Reason.Kind, failure.Type, failure.Error);
                    settlements[i] = new(Delete: false, _options.RedeliveryDelayFor(letter.Delivery.ReceiveCount));
                }
                else
                {
                    _telemetry.DeadLettered(letter.Reason.Kind);
                    LogDeadLettered(_logger, letter.Message.MessageId, letter.Reason.Kind, letter.Reason.Reason);
                    settlements[i] = SqsReceiveEndpoint.Settlement.Deleted;
                }
            }

            // Deleted only once the dead-letter queue has it; a refused one is left with its redelivery delay.
            await SqsReceiveEndpoint.SettleAsync(_sqs, _queues.QueueUrl, batch.ConvertAll(letter => letter.Message), settlements, _logger);
        }
        finally
        {
            _telemetry.Settled(batch.Count);
        }
    }

    // The reason travels as attributes next to the untouched body, with the message's identity (the id of its first
    // delivery, which a redrive keeps) and the producer's own attributes as far as SQS's limit of ten allows.
    Dictionary<string, MessageAttributeValue> Attributes(Message message, SqsDelivery delivery, DeadLetterReason reason)
    {
        var attributes = new Dictionary<string, MessageAttributeValue>(StringComparer.Ordinal)
        {
            [DeadLetterAttributes.ErrorKind] = StringAttribute(reason.Kind),
            [DeadLetterAttributes.ErrorReason] = StringAttribute(reason.Reason),
            [DeadLetterAttributes.OriginalMessageId] = StringAttribute(delivery.Identity.MessageId),
            [DeadLetterAttributes.SourceQueue] = StringAttribute(_options.QueueName),
            [MessageIdentity.Attribute] = _identities.AttributeFor(delivery.Identity, message.Body),
        };
        foreach (var (name, value) in message.MessageAttributes ?? [])
        {
            if (attributes.Count < MaxMessageAttributes)
                attributes.TryAdd(name, value);
        }

        return attributes;
    }

    static MessageAttributeValue StringAttribute(string value) => new() { DataType = "String", StringValue = value };

    static string Id(int index) => index.ToString(CultureInfo.InvariantCulture);

    // As SQS counts a message's size: the body and every attribute's name, type and value, in UTF-8.
    static int SizeOf(Message message, Dictionary<string, MessageAttributeValue> attributes) =>
        Encoding.UTF8.GetByteCount(message.Body) + attributes.Sum(a =>
            Encoding.UTF8.GetByteCount(a.Key) + Encoding.UTF8.GetByteCount(a.Value.DataType ?? "")
            + Encoding.UTF8.GetByteCount(a.Value.StringValue ?? "") + (a.Value.BinaryValue?.Length is { } binary ? (int)binary : 0));

    sealed record DeadLetter(Message Message, SqsDelivery Delivery, DeadLetterReason Reason,
        Dictionary<string, MessageAttributeValue> Attributes, int Bytes, RateLimitLease Lease);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Message {MessageId} dead-lettered: {ErrorKind}: {ErrorReason}")]
    static partial void LogDeadLettered(ILogger logger, string messageId, string errorKind, string errorReason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Message {MessageId} ({ErrorKind}) could not be sent to the dead-letter queue ({ErrorType}: {Error}); it stays on the queue")]
    static partial void LogDeadLetterFailed(ILogger logger, string messageId, string errorKind, string errorType, string error);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Critical, Message = "Dead-lettering a batch of {Count} messages failed unexpectedly; they will be redelivered")]
    static partial void LogBatchCrashed(ILogger logger, int count, Exception exception);
}
