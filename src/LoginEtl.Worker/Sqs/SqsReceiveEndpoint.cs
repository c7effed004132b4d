using System.Diagnostics;
using System.Runtime.InteropServices;
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
/// The SQS side of the service: pollers long-poll the queue ten messages at a time, and receive again while those
/// messages are processed, as long as <see cref="SqsSettlement"/> has room under <see cref="SqsOptions.MaxInFlight"/>.
/// What a receive brought is a <see cref="ReceivedBatch"/>, which owns it until it is settled. Each body goes through
/// <see cref="LoginReader"/>; a login it reads goes to MassTransit's receive pipeline and the consumer, a rejection to
/// the dead-letter queue. What became of each message is its <see cref="Settlement"/>, which the batch carries out.
/// On SIGTERM each poller lets its current long poll return and finishes what it brought, so a graceful stop leaves
/// no message waiting out a visibility timeout. Ctrl+C (SIGINT) cuts the long polls short, for a person at a terminal:
/// a message that a cut-short poll was bringing comes back after its visibility timeout, and the inbox makes that
/// harmless.
/// </summary>
public sealed partial class SqsReceiveEndpoint(
    IAmazonSQS sqs,
    SqsQueues queues,
    LoginEventDispatcherFactory dispatchers,
    LoginReader reader,
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
        telemetry.ObserveInFlight(() => settlement.InFlight);
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
                ReceivedBatch? batch;
                try
                {
                    await active.WaitForTurnAsync(index, stoppingToken);
                    batch = await receiving.ExecuteAsync(static (poller, token) => poller.Endpoint.ReceiveAsync(poller, token), poller, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested || _interrupted.IsCancellationRequested)
                {
                    break;
                }
                finally
                {
                    poller.Recovered();
                }

                active.Observe(batch?.Messages.Count ?? 0);
                if (batch is null)
                {
                    await drain.QueueLooksEmptyAsync(stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                    continue;
                }

                drain.MessagesReceived();
                batches.RemoveAll(task => task.IsCompleted);
                batches.Add(ProcessAsync(dispatcher, batch));
            }
        }
        finally
        {
            // Messages in hand are finished even when the service is stopping: their rows commit and they are settled.
            await Task.WhenAll(batches);
        }
    }

    // Never faults: the batch settles whatever happens, each message as decided and the undecided released.
    async Task ProcessAsync(IReceiveEndpointDispatcher dispatcher, ReceivedBatch batch)
    {
        await using (batch)
        {
            try
            {
                if (queues.IsFifo)
                {
                    var held = await MessageGroups.ProcessAsync(batch.Messages, message => HandleAsync(dispatcher, message), batch.Decide);
                    if (held > 0)
                        LogGroupsHeldBack(logger, held);
                }
                else
                    await Task.WhenAll(batch.Messages.Select(async (message, i) => batch.Decide(i, await HandleAsync(dispatcher, message))));
            }
            catch (Exception ex)
            {
                LogBatchFailed(logger, batch.Messages.Count, ex);
            }
        }
    }

    // What to do with one message; never throws. The reader turns the body into a login or a rejection, the pipeline
    // stores the login; anything unforeseen releases the message for a later delivery.
    async Task<Settlement> HandleAsync(IReceiveEndpointDispatcher dispatcher, Message message)
    {
        var started = Stopwatch.GetTimestamp();
        // The root of the message's trace (linked to the producer's, when the message carries it): MassTransit's receive
        // and consume spans, and the commit, hang below it.
        using var activity = StartProcessActivity(message);
        string? errorType = null;
        LoginDelivery? delivery = null;
        try
        {
            var read = reader.Read(message.Body, _options.MaxBodyBytes, _options.AcceptedShapes, out var body);
            // A body over the limit is not hashed to verify an identity it may carry: it is taken as it came.
            delivery = ToDelivery(message, verifyIdentity: read.Rejection?.Kind != InvalidKinds.TooLarge);
            activity?.SetTag("messaging.sqs.receive_count", delivery.ReceiveCount);
            if (read.Rejection is { } rejection)
                return Rejected(delivery, rejection, activity, out errorType);

            var headers = Guid.TryParse(message.MessageId, out _)
                ? new Dictionary<string, object> { [MessageHeaders.MessageId] = message.MessageId }
                : NoHeaders;
            await dispatcher.Dispatch(body!, headers, CancellationToken.None, delivery, read);
            return Settlement.Deleted;
        }
        catch (Exception ex) when (delivery is not null && LoginEventFaults.TryClassify(ex, out var rejection))
        {
            return Rejected(delivery, rejection, activity, out errorType);
        }
        catch (Exception ex)
        {
            var receiveCount = SqsMessages.ReceiveCountOf(message);
            var delay = _options.RedeliveryDelayFor(receiveCount);
            errorType = ex.GetType().Name;
            activity?.SetStatus(ActivityStatusCode.Error);
            activity?.SetTag("error.type", errorType);
            LogTransientFailure(logger, message.MessageId, receiveCount, ex.GetType().Name, ex.Message, delay);
            return Settlement.Released(delay);
        }
        finally
        {
            telemetry.Processed(_options.QueueName, Stopwatch.GetElapsedTime(started), errorType);
        }
    }

    Activity? StartProcessActivity(Message message)
    {
        if (!LoginEtlTelemetry.ActivitySource.HasListeners())
            return null;
        var links = SqsMessages.ProducerContextOf(message) is { } producer ? [new ActivityLink(producer)] : (ActivityLink[]?)null;
        var activity = LoginEtlTelemetry.ActivitySource.StartActivity(ActivityKind.Consumer, default(ActivityContext), links: links,
            name: $"process {_options.QueueName}");
        activity?.SetTag("messaging.system", "aws_sqs");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.operation.name", "process");
        activity?.SetTag("messaging.destination.name", _options.QueueName);
        activity?.SetTag("messaging.message.id", message.MessageId);
        return activity;
    }

    Settlement Rejected(LoginDelivery delivery, Rejection rejection, Activity? activity, out string errorType)
    {
        errorType = rejection.Kind;
        // The reason names a field and a rule, never a value.
        activity?.SetStatus(ActivityStatusCode.Error, rejection.Reason);
        activity?.SetTag("error.type", rejection.Kind);
        LogRejected(logger, delivery.MessageId, rejection.Kind, rejection.Reason);
        return Settlement.DeadLettered(delivery.Identity, rejection, _options.RedeliveryDelayFor(delivery.ReceiveCount));
    }

    LoginDelivery ToDelivery(Message message, bool verifyIdentity)
    {
        var sentAt = SqsMessages.SentAtOf(message);
        var forged = false;
        var identity = verifyIdentity ? identities.Of(message, sentAt, out forged) : new InboxKey(message.MessageId, sentAt);
        if (forged)
            LogIdentityIgnored(logger, message.MessageId);
        return new LoginDelivery(message.MessageId, sentAt, identity, SqsMessages.ReceiveCountOf(message));
    }

    // One poller's receive, as one attempt of the back-off pipeline: room under the cap first, then the database (while
    // it is down or refuses writes, messages stay on the queue instead of piling up receive counts), then the receive
    // itself. The room goes with what the receive brought, or back when it brought nothing or failed; a failed attempt
    // marks the poller failing until one succeeds.
    async ValueTask<ReceivedBatch?> ReceiveAsync(Poller poller, CancellationToken stoppingToken)
    {
        using var room = await settlement.ReserveAsync(stoppingToken);
        try
        {
            await database.WaitUntilAvailableAsync(stoppingToken);
            var response = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = queues.QueueUrl,
                MaxNumberOfMessages = MaxMessagesPerReceive,
                WaitTimeSeconds = poller.WaitSeconds,
                MessageSystemAttributeNames = SqsMessages.AttributeNames,
                MessageAttributeNames = ["All"],
                // A FIFO queue answers a retried receive with what the lost one took, instead of locking those groups
                // until their visibility runs out; a new id once a receive has been answered.
                ReceiveRequestAttemptId = queues.IsFifo ? poller.AttemptId : null,
            }, _interrupted.Token); // Not the stopping token: a graceful stop lets the long poll return what SQS handed out.
            poller.Answered();
            return response.Messages is { Count: > 0 } messages ? room.Take(messages) : null;
        }
        catch (Exception ex)
        {
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

        /// <summary>The ReceiveRequestAttemptId of this poller's receive, the same through its retries.</summary>
        public string AttemptId { get; private set; } = Guid.NewGuid().ToString("N");

        public void Answered() => AttemptId = Guid.NewGuid().ToString("N");

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

    [LoggerMessage(EventId = 1017, Level = LogLevel.Debug, Message = "Message {MessageId} is invalid ({ErrorKind}: {ErrorReason}); it goes to the dead-letter queue")]
    static partial void LogRejected(ILogger logger, string messageId, string errorKind, string errorReason);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Critical, Message = "A batch of {Count} messages failed unexpectedly; what was not decided will be redelivered")]
    static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Information, Message = "{Count} messages are released behind an earlier message of their group that failed, to keep each group's order")]
    static partial void LogGroupsHeldBack(ILogger logger, int count);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Message {MessageId} carries a loginetl.identity attribute that does not verify; it is taken as a new message")]
    static partial void LogIdentityIgnored(ILogger logger, string messageId);
}
