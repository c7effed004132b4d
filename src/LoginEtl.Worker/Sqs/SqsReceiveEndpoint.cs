using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Logins;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Telemetry;
using MassTransit;
using MassTransit.Transports;
using Microsoft.Extensions.Options;
using Polly;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// The SQS side of the service: pollers long-poll the queue ten messages at a time, hand each message to
/// MassTransit's receive pipeline, and receive again while those messages are processed, as long as
/// <see cref="SqsSettlement"/> has room under <see cref="SqsOptions.MaxInFlight"/>. What the pipeline made of each
/// message becomes its <see cref="Settlement"/>, which <see cref="SqsSettlement"/> carries out.
/// On SIGTERM each poller lets its current long poll return and finishes what it brought, so a graceful stop leaves
/// no message waiting out a visibility timeout. Ctrl+C (SIGINT) cuts the long polls short, for a person at a terminal:
/// a message that a cut-short poll was bringing comes back after its visibility timeout, and the inbox makes that
/// harmless.
/// </summary>
public sealed partial class SqsReceiveEndpoint(
    IAmazonSQS sqs,
    SqsQueues queues,
    LoginEventDispatcherFactory dispatchers,
    SqsSettlement settlement,
    DatabaseAvailability database,
    DrainMonitor drain,
    MessageIdentity identities,
    LoginEtlTelemetry telemetry,
    IOptions<SqsOptions> options,
    ILogger<SqsReceiveEndpoint> logger) : BackgroundService
{
    const int MaxMessagesPerReceive = 10;

    static readonly IReadOnlyDictionary<string, object> NoHeaders = new Dictionary<string, object>();

    readonly SqsOptions _options = options.Value;
    readonly CancellationTokenSource _interrupted = new();
    int _failingPollers;

    /// <summary>False while any poller's receives are failing (SQS unreachable or refusing).</summary>
    public bool QueueReachable => Volatile.Read(ref _failingPollers) == 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dispatcher = dispatchers.Create(_options.QueueName);
        // Beside the host's own handling of SIGINT, which stops the service as SIGTERM does.
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => _interrupted.Cancel());
        var receiving = Backoff.Forever(SqsFailures.IsTransient, (ex, delay) => LogReceiveFailed(logger, ex.GetType().Name, ex.Message, delay));
        LogStarted(logger, _options.QueueName, _options.Pollers);
        telemetry.ReportZeroes();

        var active = new ActivePollers(_options.Pollers, MaxMessagesPerReceive);
        telemetry.ObservePollers(() => active.Active);
        await Task.WhenAll(Enumerable.Range(0, _options.Pollers).Select(index => PollAsync(index, active, dispatcher, receiving, stoppingToken)));

        var summary = telemetry.Summary();
        LogSummary(logger, summary.Received, summary.Busy.TotalSeconds, summary.MessagesPerSecond, summary.Stored,
            summary.Duplicates, summary.DeadLettered, summary.Redelivered);
    }

    public override void Dispose()
    {
        _interrupted.Dispose();
        base.Dispose();
    }

    async Task PollAsync(int index, ActivePollers active, IReceiveEndpointDispatcher dispatcher, ResiliencePipeline receiving, CancellationToken stoppingToken)
    {
        var poller = new Poller(this, drain.Enabled ? Math.Min(_options.WaitTimeSeconds, 1) : _options.WaitTimeSeconds);
        var batches = new List<Task>();
        try
        {
            while (true)
            {
                List<Message> messages;
                try
                {
                    await active.WaitForTurnAsync(index, stoppingToken);
                    messages = await receiving.ExecuteAsync(static (poller, token) => poller.Endpoint.ReceiveAsync(poller, token), poller, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested || _interrupted.IsCancellationRequested)
                {
                    break;
                }
                finally
                {
                    poller.Recovered();
                }

                active.Observe(messages.Count);
                if (messages.Count == 0)
                {
                    settlement.Unused();
                    await drain.QueueLooksEmptyAsync(stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                    continue;
                }

                drain.MessagesReceived();
                // A batch that failed unexpectedly stops this poller, as it would have had it run inline.
                batches.RemoveAll(batch => batch.IsCompletedSuccessfully);
                if (batches.Find(batch => batch.IsFaulted) is { } failed)
                    await failed;
                batches.Add(ProcessAsync(dispatcher, settlement.Take(messages)));
            }
        }
        finally
        {
            // Messages in hand are finished even when the service is stopping: their rows commit and they are settled.
            await Task.WhenAll(batches);
        }
    }

    async Task ProcessAsync(IReceiveEndpointDispatcher dispatcher, SqsSettlement.Batch batch) =>
        await settlement.SettleAsync(batch, await Task.WhenAll(batch.Messages.Select(m => HandleAsync(dispatcher, m))));

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
            return Rejected(delivery, tooLarge);
        var body = Encoding.UTF8.GetBytes(message.Body);
        if (StrictJsonObject.Check(body) is { } notStrict)
            return Rejected(delivery, notStrict);

        try
        {
            var headers = Guid.TryParse(message.MessageId, out _)
                ? new Dictionary<string, object> { [MessageHeaders.MessageId] = message.MessageId }
                : NoHeaders;
            var outcome = new OutcomeSlot();
            await dispatcher.Dispatch(body, headers, CancellationToken.None, delivery, outcome);
            return outcome.Outcome is { Rejection: { } rejection } ? Rejected(delivery, rejection) : Settlement.Deleted;
        }
        catch (Exception ex) when (LoginEventFaults.TryClassify(ex, out var rejection))
        {
            return Rejected(delivery, rejection);
        }
        catch (Exception ex)
        {
            var delay = _options.RedeliveryDelayFor(delivery.ReceiveCount);
            LogTransientFailure(logger, message.MessageId, delivery.ReceiveCount, ex.GetType().Name, ex.Message, delay);
            return Settlement.Released(delay);
        }
    }

    Settlement Rejected(LoginDelivery delivery, Rejection rejection) =>
        Settlement.DeadLettered(delivery.Identity, rejection, _options.RedeliveryDelayFor(delivery.ReceiveCount));

    LoginDelivery ToDelivery(Message message)
    {
        var sentAt = SqsMessages.SentAtOf(message);
        var identity = identities.Of(message, sentAt, out var forged);
        if (forged)
            LogIdentityIgnored(logger, message.MessageId);
        return new LoginDelivery(message.MessageId, sentAt, identity, SqsMessages.ReceiveCountOf(message));
    }

    // One poller's receive, as one attempt of the back-off pipeline: room under the cap first, then the database (while
    // it is down, messages stay on the queue instead of piling up receive counts), then the receive itself. A failed
    // attempt gives its room back before the back-off, and marks the poller failing until one succeeds.
    async ValueTask<List<Message>> ReceiveAsync(Poller poller, CancellationToken stoppingToken)
    {
        await settlement.WaitForRoomAsync(stoppingToken);
        try
        {
            await database.WaitUntilAvailableAsync(stoppingToken);
            var response = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = queues.QueueUrl,
                MaxNumberOfMessages = MaxMessagesPerReceive,
                WaitTimeSeconds = poller.WaitSeconds,
                MessageSystemAttributeNames = [MessageSystemAttributeName.SentTimestamp, MessageSystemAttributeName.ApproximateReceiveCount],
                MessageAttributeNames = ["All"],
            }, _interrupted.Token); // Not the stopping token: a graceful stop lets the long poll return what SQS handed out.
            return response.Messages ?? [];
        }
        catch (Exception ex)
        {
            settlement.Unused();
            if (SqsFailures.IsTransient(ex) && ex is not OperationCanceledException && !poller.Failing)
            {
                poller.Failing = true;
                Interlocked.Increment(ref _failingPollers);
            }

            throw;
        }
    }

    sealed class Poller(SqsReceiveEndpoint endpoint, int waitSeconds)
    {
        public SqsReceiveEndpoint Endpoint { get; } = endpoint;

        public int WaitSeconds { get; } = waitSeconds;

        public bool Failing { get; set; }

        public void Recovered()
        {
            if (Failing)
            {
                Failing = false;
                Interlocked.Decrement(ref Endpoint._failingPollers);
            }
        }
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Receiving from {QueueName} with {Pollers} pollers")]
    static partial void LogStarted(ILogger logger, string queueName, int pollers);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Receive failed ({ErrorType}: {Error}); retrying in {Backoff}")]
    static partial void LogReceiveFailed(ILogger logger, string errorType, string error, TimeSpan backoff);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Message {MessageId} failed on receive {ReceiveCount} ({ErrorType}: {Error}); it will be redelivered in {Delay}")]
    static partial void LogTransientFailure(ILogger logger, string messageId, int receiveCount, string errorType, string error, TimeSpan delay);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Received {Received} messages in {Seconds:F1} s ({Rate:F0} messages/s): {Stored} stored, {Duplicates} already stored, {DeadLettered} dead-lettered, {Redelivered} left for redelivery")]
    static partial void LogSummary(ILogger logger, long received, double seconds, double rate, long stored, long duplicates, long deadLettered, long redelivered);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Message {MessageId} carries a loginetl.identity attribute that does not verify; it is taken as a new message")]
    static partial void LogIdentityIgnored(ILogger logger, string messageId);
}
