using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace LoginEtl.Worker.Telemetry;

/// <summary>The service's own traces and metrics. Attributes carry kinds and counts, never personal values.</summary>
public sealed class LoginEtlTelemetry : IDisposable
{
    public const string Name = "LoginEtl";

    /// <summary>
    /// Bucket boundaries of the histograms in seconds (lag, write duration): 1 ms to a minute, no bucket more than
    /// twice as wide as the one below it, so that a quantile read from them is within a factor of two of the truth.
    /// (The SDK's default boundaries, 0 to 10,000, are made for milliseconds: every real value would fall in the first.)
    /// </summary>
    public static readonly IReadOnlyList<double> SecondsBuckets =
    [
        0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.3, 0.5, 0.75,
        1, 2, 3, 5, 7.5, 10, 20, 30, 60,
    ];

    /// <summary>Bucket boundaries of the batch size, in logins: 1 to 10,000, the most Writer__MaxBatchSize allows.</summary>
    public static readonly IReadOnlyList<int> BatchSizeBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 750, 1_000, 2_000, 5_000, 10_000];

    readonly Meter _meter;
    readonly Counter<long> _received;
    readonly Counter<long> _stored;
    readonly Counter<long> _duplicates;
    readonly Counter<long> _deadLettered;
    readonly Counter<long> _redelivered;
    readonly Histogram<int> _batchSize;
    readonly Histogram<double> _writeDuration;
    readonly Histogram<double> _lag;
    readonly Counter<long> _sqsRequests;
    readonly ConcurrentDictionary<string, StrongBox<long>> _sqsRequestTotals = new(StringComparer.Ordinal);
    readonly Counter<long> _rotationFailures;
    readonly Counter<long> _consumed;
    readonly Histogram<double> _processDuration;
    readonly Histogram<double> _operationDuration;
    Func<long>? _inFlight;
    Func<bool>? _databaseWritable;
    Func<int>? _pollers;
    readonly ConcurrentDictionary<string, long> _queueDepths = new(StringComparer.Ordinal);
    long _receivedTotal;
    long _storedTotal;
    long _duplicateTotal;
    long _deadLetteredTotal;
    long _redeliveredTotal;
    long _firstReceivedAt;
    long _lastSettledAt;

    public LoginEtlTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _received = _meter.CreateCounter<long>("loginetl.messages.received", "{message}", "Messages received from SQS");
        _stored = _meter.CreateCounter<long>("loginetl.messages.stored", "{message}", "Logins committed to user_logins");
        _duplicates = _meter.CreateCounter<long>("loginetl.messages.duplicates", "{message}", "Deliveries of messages already stored");
        _deadLettered = _meter.CreateCounter<long>("loginetl.messages.dead_lettered", "{message}", "Messages sent to the dead-letter queue, by error kind");
        _redelivered = _meter.CreateCounter<long>("loginetl.messages.redelivered", "{message}", "Messages left on the queue for a later delivery after a transient failure");
        _batchSize = _meter.CreateHistogram("loginetl.write.batch_size", "{message}", "Logins per database transaction",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchSizeBuckets });
        _writeDuration = _meter.CreateHistogram("loginetl.write.duration", "s", "Time to write and commit one batch",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _lag = _meter.CreateHistogram("loginetl.messages.lag", "s", "Time from a message's SentTimestamp to the commit of its row",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _sqsRequests = _meter.CreateCounter<long>("loginetl.sqs.requests", "{request}", "Calls made to the SQS API, by operation (what SQS bills)");
        _meter.CreateObservableGauge("loginetl.messages.in_flight", ObserveInFlight, "{message}", "Messages received and not yet settled");
        // OpenTelemetry's messaging conventions, beside the service's own names (which say more about outcomes).
        _consumed = _meter.CreateCounter<long>("messaging.client.consumed.messages", "{message}", "Messages received from SQS");
        _processDuration = _meter.CreateHistogram("messaging.process.duration", "s", "Time to process one message, from its receive to its decision",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _operationDuration = _meter.CreateHistogram("messaging.client.operation.duration", "s", "Time of one SQS call, with error.type when it failed",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _rotationFailures = _meter.CreateCounter<long>("loginetl.inbox.rotation.failures", "{failure}",
            "Attempts to rotate the inbox window that failed (the window is prepared two days ahead)");
        _meter.CreateObservableGauge("loginetl.database.writable", ObserveDatabaseWritable, null,
            "1 while the database takes writes, 0 while consuming is paused because it refuses them or cannot be reached");
        _meter.CreateObservableGauge("loginetl.sqs.pollers", ObservePollers, "{poller}",
            "Pollers receiving now (the others wait until receives come back full)");
        _meter.CreateObservableGauge("loginetl.queue.depth", ObserveQueueDepth, "{message}",
            "Messages in a queue (visible, in flight and delayed), as SQS last reported it, by queue: the main and the dead-letter queue");
    }

    public static ActivitySource ActivitySource { get; } = new(Name);

    public void Received(string queue, int count)
    {
        _received.Add(count);
        _consumed.Add(count, new KeyValuePair<string, object?>("messaging.system", "aws_sqs"),
            new KeyValuePair<string, object?>("messaging.destination.name", queue), new KeyValuePair<string, object?>("messaging.operation.name", "receive"));
        Interlocked.Add(ref _receivedTotal, count);
        var now = Stopwatch.GetTimestamp();
        Interlocked.CompareExchange(ref _firstReceivedAt, now, 0);
    }

    /// <summary>
    /// Reports the rare counters at zero once the service runs (and its exporters listen), so that dashboards show
    /// a flat line rather than no data until the first duplicate or redelivery.
    /// </summary>
    public void ReportZeroes()
    {
        _duplicates.Add(0);
        _redelivered.Add(0);
        _rotationFailures.Add(0);
    }

    /// <summary>Where the in-flight gauge reads the messages held (their owner counts them).</summary>
    public void ObserveInFlight(Func<long> inFlight) => Volatile.Write(ref _inFlight, inFlight);

    IEnumerable<Measurement<long>> ObserveInFlight() => Volatile.Read(ref _inFlight) is { } held ? [new Measurement<long>(held())] : [];

    /// <summary>Where the database gauge reads whether writes are taken.</summary>
    public void ObserveDatabaseWritable(Func<bool> writable) => Volatile.Write(ref _databaseWritable, writable);

    IEnumerable<Measurement<int>> ObserveDatabaseWritable() =>
        Volatile.Read(ref _databaseWritable) is { } writable ? [new Measurement<int>(writable() ? 1 : 0)] : [];

    public void RotationFailed() => _rotationFailures.Add(1);

    /// <summary>Where the pollers gauge reads the number of pollers receiving.</summary>
    public void ObservePollers(Func<int> active) => Volatile.Write(ref _pollers, active);

    IEnumerable<Measurement<int>> ObservePollers() => Volatile.Read(ref _pollers) is { } active ? [new Measurement<int>(active())] : [];

    public void QueueDepth(string queue, long depth) => _queueDepths[queue] = depth;

    IEnumerable<Measurement<long>> ObserveQueueDepth() =>
        _queueDepths.Select(depth => new Measurement<long>(depth.Value, new KeyValuePair<string, object?>("queue", depth.Key)));

    public void Settled(int count)
    {
        Interlocked.Exchange(ref _lastSettledAt, Stopwatch.GetTimestamp());
    }

    public void DeadLettered(string kind)
    {
        _deadLettered.Add(1, new KeyValuePair<string, object?>("error.type", kind));
        Interlocked.Increment(ref _deadLetteredTotal);
    }

    public void Redelivered()
    {
        _redelivered.Add(1);
        Interlocked.Increment(ref _redeliveredTotal);
    }

    /// <summary>One message processed, from its receive to its decision; <paramref name="errorType"/> when it was not stored.</summary>
    public void Processed(string queue, TimeSpan duration, string? errorType)
    {
        var tags = new TagList
        {
            { "messaging.system", "aws_sqs" },
            { "messaging.destination.name", queue },
            { "messaging.operation.name", "process" },
        };
        if (errorType is not null)
            tags.Add("error.type", errorType);
        _processDuration.Record(duration.TotalSeconds, tags);
    }

    /// <summary>One SQS call that ended, by its operation, with <paramref name="errorType"/> when it failed.</summary>
    public void SqsOperation(string operation, TimeSpan duration, string? errorType)
    {
        var tags = new TagList
        {
            { "messaging.system", "aws_sqs" },
            { "messaging.operation.name", operation },
        };
        if (errorType is not null)
            tags.Add("error.type", errorType);
        _operationDuration.Record(duration.TotalSeconds, tags);
    }

    /// <summary>One call to the SQS API, named by its operation (<c>ReceiveMessage</c>, <c>DeleteMessageBatch</c>...).</summary>
    public void SqsRequest(string operation)
    {
        _sqsRequests.Add(1, new KeyValuePair<string, object?>("rpc.method", operation));
        Interlocked.Increment(ref _sqsRequestTotals.GetOrAdd(operation, static _ => new StrongBox<long>()).Value);
    }

    /// <summary>The SQS calls this process has made so far, by operation.</summary>
    public IReadOnlyDictionary<string, long> SqsRequests() =>
        _sqsRequestTotals.ToDictionary(pair => pair.Key, pair => Interlocked.Read(ref pair.Value.Value), StringComparer.Ordinal);

    public void RecordLag(TimeSpan lag) => _lag.Record(lag.TotalSeconds);

    public void RecordBatch(int size, int stored, TimeSpan duration)
    {
        _stored.Add(stored);
        _duplicates.Add(size - stored);
        Interlocked.Add(ref _storedTotal, stored);
        Interlocked.Add(ref _duplicateTotal, size - stored);
        _batchSize.Record(size);
        _writeDuration.Record(duration.TotalSeconds);
    }

    /// <summary>What this process has done so far, for the summary a run prints when it stops.</summary>
    public RunSummary Summary()
    {
        var first = Interlocked.Read(ref _firstReceivedAt);
        var last = Interlocked.Read(ref _lastSettledAt);
        return new RunSummary(
            Interlocked.Read(ref _receivedTotal),
            Interlocked.Read(ref _storedTotal),
            Interlocked.Read(ref _duplicateTotal),
            Interlocked.Read(ref _deadLetteredTotal),
            Interlocked.Read(ref _redeliveredTotal),
            first == 0 || last < first ? TimeSpan.Zero : Stopwatch.GetElapsedTime(first, last));
    }

    public void Dispose() => _meter.Dispose();
}

/// <summary>Counts of one run, and the time from its first receive to its last settled message.</summary>
public sealed record RunSummary(long Received, long Stored, long Duplicates, long DeadLettered, long Redelivered, TimeSpan Busy)
{
    public double MessagesPerSecond => Busy > TimeSpan.Zero ? Received / Busy.TotalSeconds : 0;
}
