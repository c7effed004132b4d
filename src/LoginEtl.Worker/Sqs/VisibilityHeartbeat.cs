using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// Keeps received batches invisible while they are processed: one loop for all pollers renews, every half
/// visibility timeout, the timeout of each batch still held, so a slow database never lets another replica
/// take the same messages. A batch is let go before it is settled and never renewed after that, so a renewal
/// never overrides a delete or a redelivery delay.
/// </summary>
sealed partial class VisibilityHeartbeat : IAsyncDisposable
{
    readonly IAmazonSQS _sqs;
    readonly string _queueUrl;
    readonly ILogger _logger;
    readonly TimeSpan _interval;
    readonly int _timeoutSeconds;
    readonly ConcurrentDictionary<Lease, byte> _held = new();
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    public VisibilityHeartbeat(IAmazonSQS sqs, string queueUrl, TimeSpan visibilityTimeout, ILogger logger)
    {
        _sqs = sqs;
        _queueUrl = queueUrl;
        _logger = logger;
        _interval = visibilityTimeout / 2 > TimeSpan.FromSeconds(1) ? visibilityTimeout / 2 : TimeSpan.FromSeconds(1);
        _timeoutSeconds = Math.Max(1, (int)Math.Ceiling(visibilityTimeout.TotalSeconds));
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Renews <paramref name="messages"/> until the returned lease is disposed.</summary>
    public Lease Hold(IReadOnlyList<Message> messages)
    {
        var lease = new Lease(this, messages);
        _held.TryAdd(lease, 0);
        return lease;
    }

    async Task RunAsync()
    {
        // A quarter of the interval: a batch is renewed at most a quarter interval late, well before it expires.
        using var timer = new PeriodicTimer(_interval / 4);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var due = _held.Keys.Where(lease => lease.IsDue(_interval)).ToList();
                // A renewal that failed for good faults its lease, and the poller holding it sees the error.
                await Task.WhenAll(due.Select(lease => lease.RenewAsync())).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    async Task ExtendAsync(IReadOnlyList<Message> messages)
    {
        try
        {
            var response = await _sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest
            {
                QueueUrl = _queueUrl,
                Entries = messages.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)
                {
                    VisibilityTimeout = _timeoutSeconds,
                }).ToList(),
            });
            if (response.Failed is { Count: > 0 } failed)
                LogExtendFailed(_logger, failed.Count, failed[0].Code);
        }
        catch (Exception ex) when (SqsFailures.IsTransient(ex))
        {
            LogExtendFailed(_logger, messages.Count, ex.GetType().Name);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    /// <summary>One batch held by a poller.</summary>
    public sealed class Lease : IAsyncDisposable
    {
        readonly VisibilityHeartbeat _heartbeat;
        readonly IReadOnlyList<Message> _messages;
        readonly Lock _gate = new();
        long _renewedAt = Stopwatch.GetTimestamp();
        bool _released;
        Task? _renewal;

        internal Lease(VisibilityHeartbeat heartbeat, IReadOnlyList<Message> messages)
        {
            _heartbeat = heartbeat;
            _messages = messages;
        }

        internal bool IsDue(TimeSpan interval) => Stopwatch.GetElapsedTime(Interlocked.Read(ref _renewedAt)) >= interval;

        internal Task RenewAsync()
        {
            lock (_gate)
            {
                if (_released || _renewal is { IsCompleted: false })
                    return Task.CompletedTask;
                Interlocked.Exchange(ref _renewedAt, Stopwatch.GetTimestamp());
                return _renewal = _heartbeat.ExtendAsync(_messages);
            }
        }

        /// <summary>Stops renewing the batch, after a renewal under way has finished.</summary>
        public async ValueTask DisposeAsync()
        {
            Task? renewal;
            lock (_gate)
            {
                _released = true;
                renewal = _renewal;
            }

            _heartbeat._held.TryRemove(this, out _);
            if (renewal is not null)
                await renewal;
        }
    }

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "Could not extend the visibility of {Count} in-flight messages ({Reason})")]
    static partial void LogExtendFailed(ILogger logger, int count, string reason);
}
