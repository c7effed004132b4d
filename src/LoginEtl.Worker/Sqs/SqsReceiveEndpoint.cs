using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Telemetry;
using MassTransit;
using MassTransit.Transports;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// The SQS side of the service: pollers long-poll the queue ten messages at a time and hand each message to
/// MassTransit's receive pipeline, then receive again while those messages are processed, as long as fewer
/// than <see cref="SqsOptions.MaxInFlight"/> are unsettled. A message is deleted only once the pipeline returned (its row is
/// committed), or once it is safely in the dead-letter queue; after a transient failure it is left on the
/// queue with a growing visibility timeout, and SQS moves it to the dead-letter queue after maxReceiveCount.
/// On stop, each poller lets its current long poll return and finishes what it brought, so a graceful stop
/// leaves no message waiting out a visibility timeout.
/// </summary>
public sealed partial class SqsReceiveEndpoint(
    IAmazonSQS sqs,
    SqsQueues queues,
    LoginEventDispatcherFactory dispatchers,
    DatabaseAvailability database,
    DrainMonitor drain,
    MessageIdentity identities,
    LoginEtlTelemetry telemetry,
    IOptions<SqsOptions> options,
    ILogger<SqsReceiveEndpoint> logger) : BackgroundService
{
    const int MaxMessagesPerReceive = 10;

    static readonly IReadOnlyDictionary<string, object> NoHeaders = new Dictionary<string, object>();
    static readonly TimeSpan MaxReceiveBackoff = TimeSpan.FromSeconds(30);

    readonly SqsOptions _options = options.Value;
    int _failingPollers;
    DeadLetterSender _deadLetters = null!;
    SemaphoreSlim _room = null!;
    VisibilityHeartbeat? _heartbeat;

    /// <summary>True once a poller stopped on an error it could not handle; the run then exits 1.</summary>
    public bool Crashed { get; private set; }

    /// <summary>False while any poller's receives are failing (SQS unreachable or refusing).</summary>
    public bool QueueReachable => Volatile.Read(ref _failingPollers) == 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dispatcher = dispatchers.Create(_options.QueueName);
        LogStarted(logger, _options.QueueName, _options.Pollers);
        telemetry.ReportZeroes();

        _room = new SemaphoreSlim(_options.ReceivesInFlight);
        _deadLetters = new DeadLetterSender(sqs, queues, _options, identities, telemetry, logger);
        _heartbeat = _options.VisibilityHeartbeat ? new VisibilityHeartbeat(sqs, queues.QueueUrl, queues.VisibilityTimeout, logger) : null;
        try
        {
            try
            {
                await Task.WhenAll(Enumerable.Range(0, _options.Pollers).Select(_ => PollAsync(dispatcher, stoppingToken)));
            }
            finally
            {
                await _deadLetters.CompleteAsync();
                if (_heartbeat is not null)
                    await _heartbeat.DisposeAsync();
            }

            var summary = telemetry.Summary();
            LogSummary(logger, summary.Received, summary.Busy.TotalSeconds, summary.MessagesPerSecond, summary.Stored,
                summary.Duplicates, summary.DeadLettered, summary.Redelivered);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            LogPollerCrashed(logger, ex);
            Crashed = true;
            throw;
        }
    }

    async Task PollAsync(IReceiveEndpointDispatcher dispatcher, CancellationToken stoppingToken)
    {
        var waitSeconds = drain.Enabled ? Math.Min(_options.WaitTimeSeconds, 1) : _options.WaitTimeSeconds;
        var failures = 0;
        var batches = new List<Task>();
        try
        {
            // Room first, then the database: while the database is down, messages stay on the queue instead of
            // piling up receive counts, even when the wait for room outlasted the database.
            while (await UnlessStoppedAsync(_room.WaitAsync(stoppingToken), stoppingToken)
                   && await UnlessStoppedAsync(database.WaitUntilAvailableAsync(stoppingToken), stoppingToken))
            {
                List<Message> messages;
                try
                {
                    messages = await ReceiveAsync(waitSeconds);
                }
                catch (Exception ex) when (SqsFailures.IsTransient(ex))
                {
                    _room.Release();
                    if (failures == 0)
                        Interlocked.Increment(ref _failingPollers);
                    var backoff = ReceiveBackoff(++failures);
                    LogReceiveFailed(logger, ex.GetType().Name, ex.Message, backoff);
                    await Task.Delay(backoff, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                    continue;
                }

                if (failures > 0)
                    Interlocked.Decrement(ref _failingPollers);
                failures = 0;
                if (messages.Count == 0)
                {
                    _room.Release();
                    await drain.QueueLooksEmptyAsync(stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                    continue;
                }

                drain.MessagesReceived();
                telemetry.Received(messages.Count);
                // A batch that failed unexpectedly stops this poller, as it would have had it run inline.
                batches.RemoveAll(batch => batch.IsCompletedSuccessfully);
                if (batches.Find(batch => batch.IsFaulted) is { } failed)
                    await failed;
                batches.Add(ProcessAsync(dispatcher, messages));
            }
        }
        finally
        {
            // Messages in hand are finished even when the service is stopping: their rows commit and they are deleted.
            await Task.WhenAll(batches);
        }
    }

    async Task<List<Message>> ReceiveAsync(int waitSeconds)
    {
        var response = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = queues.QueueUrl,
            MaxNumberOfMessages = MaxMessagesPerReceive,
            WaitTimeSeconds = waitSeconds,
            MessageSystemAttributeNames = [MessageSystemAttributeName.SentTimestamp, MessageSystemAttributeName.ApproximateReceiveCount],
            MessageAttributeNames = ["All"],
        }, CancellationToken.None); // A cancelled receive could strand messages SQS had already handed out.
        return response.Messages ?? [];
    }

    async Task ProcessAsync(IReceiveEndpointDispatcher dispatcher, List<Message> messages)
    {
        Settlement[]? settlements = null;
        try
        {
            await using (_heartbeat?.Hold(messages))
                settlements = await Task.WhenAll(messages.Select(m => HandleAsync(dispatcher, m)));
            await SettleAsync(sqs, queues.QueueUrl, messages, settlements, logger);
        }
        finally
        {
            // The dead-letter sender reports the messages handed to it once it has settled them.
            telemetry.Settled(settlements?.Count(s => !s.HandedOver) ?? messages.Count);
            _room.Release();
        }
    }

    async Task<Settlement> HandleAsync(IReceiveEndpointDispatcher dispatcher, Message message)
    {
        var delivery = ToDelivery(message);
        // The root of the message's trace: MassTransit's receive and consume spans, and the commit, hang below it.
        using var activity = LoginEtlTelemetry.ActivitySource.StartActivity($"{_options.QueueName} process", ActivityKind.Consumer);
        activity?.SetTag("messaging.system", "aws_sqs");
        activity?.SetTag("messaging.destination.name", _options.QueueName);
        activity?.SetTag("messaging.message.id", message.MessageId);
        activity?.SetTag("messaging.sqs.receive_count", delivery.ReceiveCount);
        // Too large before any copy or parse; then one strict pass over the bytes MassTransit is given, whose
        // deserializer tolerates duplicates, comments and trailing commas, and whose errors for a body that is
        // not an object are neither uniform nor free of the body's text.
        if (BodySizeLimit.Check(message.Body, _options.MaxBodyBytes) is { } tooLarge)
            return await HandOverAsync(message, delivery, tooLarge);
        var body = Encoding.UTF8.GetBytes(message.Body);
        if (StrictJsonObject.Check(body) is { } notStrict)
            return await HandOverAsync(message, delivery, notStrict);

        try
        {
            var headers = Guid.TryParse(message.MessageId, out _)
                ? new Dictionary<string, object> { [MessageHeaders.MessageId] = message.MessageId }
                : NoHeaders;
            await dispatcher.Dispatch(body, headers, CancellationToken.None, delivery);
            return delivery.Rejection is { } rejection ? await HandOverAsync(message, delivery, rejection) : Settlement.Deleted;
        }
        catch (Exception ex) when (DeadLetterReason.TryClassify(ex, out var reason))
        {
            return await HandOverAsync(message, delivery, reason);
        }
        catch (Exception ex)
        {
            var settlement = Release(delivery);
            LogTransientFailure(logger, message.MessageId, delivery.ReceiveCount, ex.GetType().Name, ex.Message, settlement.Delay);
            telemetry.Redelivered();
            return settlement;
        }
    }

    static async Task<bool> UnlessStoppedAsync(Task wait, CancellationToken stoppingToken)
    {
        try
        {
            await wait;
            return true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    Settlement Release(SqsDelivery delivery) => new(Delete: false, _options.RedeliveryDelayFor(delivery.ReceiveCount));

    async Task<Settlement> HandOverAsync(Message message, SqsDelivery delivery, DeadLetterReason reason)
    {
        await _deadLetters.HandOverAsync(message, delivery, reason);
        return Settlement.GivenToDeadLetters;
    }

    /// <summary>Deletes or releases each message as its settlement says, skipping those handed over.</summary>
    internal static async Task SettleAsync(IAmazonSQS sqs, string queueUrl, IReadOnlyList<Message> messages,
        IReadOnlyList<Settlement> settlements, ILogger logger)
    {
        var deletes = new List<DeleteMessageBatchRequestEntry>(messages.Count);
        var releases = new List<ChangeMessageVisibilityBatchRequestEntry>();
        for (var i = 0; i < messages.Count; i++)
        {
            var id = i.ToString(CultureInfo.InvariantCulture);
            if (settlements[i].HandedOver)
                continue;
            if (settlements[i].Delete)
                deletes.Add(new DeleteMessageBatchRequestEntry { Id = id, ReceiptHandle = messages[i].ReceiptHandle });
            else
                releases.Add(new ChangeMessageVisibilityBatchRequestEntry
                {
                    Id = id,
                    ReceiptHandle = messages[i].ReceiptHandle,
                    VisibilityTimeout = (int)Math.Ceiling(settlements[i].Delay.TotalSeconds),
                });
        }

        try
        {
            if (deletes.Count > 0)
            {
                var response = await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest { QueueUrl = queueUrl, Entries = deletes });
                foreach (var failed in response.Failed ?? [])
                    LogSettleFailed(logger, "delete", messages[int.Parse(failed.Id, CultureInfo.InvariantCulture)].MessageId, failed.Code);
            }

            if (releases.Count > 0)
            {
                var response = await sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest { QueueUrl = queueUrl, Entries = releases });
                foreach (var failed in response.Failed ?? [])
                    LogSettleFailed(logger, "release", messages[int.Parse(failed.Id, CultureInfo.InvariantCulture)].MessageId, failed.Code);
            }
        }
        catch (Exception ex) when (SqsFailures.IsTransient(ex))
        {
            // Nothing is lost: an undeleted message comes back when its visibility runs out, and its inbox record
            // makes that delivery a no-op.
            LogSettleBatchFailed(logger, messages.Count, ex.GetType().Name, ex.Message);
        }
    }

    SqsDelivery ToDelivery(Message message)
    {
        var sentAt = SqsDelivery.SentAtOf(message);
        var identity = identities.Of(message, sentAt, out var forged);
        if (forged)
            LogIdentityIgnored(logger, message.MessageId);
        return new SqsDelivery(message.MessageId, sentAt, identity, SqsDelivery.ReceiveCountOf(message));
    }

    static TimeSpan ReceiveBackoff(int failures)
    {
        var ceiling = TimeSpan.FromMilliseconds(200 * Math.Pow(2, Math.Min(failures, 10)));
        if (ceiling > MaxReceiveBackoff)
            ceiling = MaxReceiveBackoff;
        return ceiling * (0.5 + Random.Shared.NextDouble() / 2);
    }

    internal readonly record struct Settlement(bool Delete, TimeSpan Delay, bool HandedOver = false)
    {
        public static Settlement Deleted { get; } = new(true, TimeSpan.Zero);

        /// <summary>Given to the dead-letter sender, which deletes it once the dead-letter queue has it.</summary>
        public static Settlement GivenToDeadLetters { get; } = new(false, TimeSpan.Zero, HandedOver: true);
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Receiving from {QueueName} with {Pollers} pollers")]
    static partial void LogStarted(ILogger logger, string queueName, int pollers);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Receive failed ({ErrorType}: {Error}); retrying in {Backoff}")]
    static partial void LogReceiveFailed(ILogger logger, string errorType, string error, TimeSpan backoff);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Message {MessageId} failed on receive {ReceiveCount} ({ErrorType}: {Error}); it will be redelivered in {Delay}")]
    static partial void LogTransientFailure(ILogger logger, string messageId, int receiveCount, string errorType, string error, TimeSpan delay);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Could not {Action} message {MessageId}: {Code}")]
    static partial void LogSettleFailed(ILogger logger, string action, string messageId, string code);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Could not settle {Count} messages ({ErrorType}: {Error}); they will be redelivered")]
    static partial void LogSettleBatchFailed(ILogger logger, int count, string errorType, string error);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Received {Received} messages in {Seconds:F1} s ({Rate:F0} messages/s): {Stored} stored, {Duplicates} already stored, {DeadLettered} dead-lettered, {Redelivered} left for redelivery")]
    static partial void LogSummary(ILogger logger, long received, double seconds, double rate, long stored, long duplicates, long deadLettered, long redelivered);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Message {MessageId} carries a loginetl.identity attribute that does not verify; it is taken as a new message")]
    static partial void LogIdentityIgnored(ILogger logger, string messageId);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Critical, Message = "A poller stopped on an unexpected error")]
    static partial void LogPollerCrashed(ILogger logger, Exception exception);
}
