using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Aws;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// Keeps received batches invisible while they are processed: one loop for all pollers renews, every half
/// visibility timeout, the timeout of each batch still held, so a slow database never lets another replica
/// take the same messages. A batch is let go before it is settled and never renewed after that, so a renewal
/// never overrides a delete or a redelivery delay. Off with <c>Sqs__VisibilityHeartbeat=false</c>.
/// </summary>
public sealed partial class VisibilityHeartbeat(IAmazonSQS sqs, SqsQueues queues, IOptions<SqsOptions> options,
    ILogger<VisibilityHeartbeat> logger) : BackgroundService
{
    readonly ConcurrentDictionary<Lease, byte> _held = new();

    /// <summary>Renews <paramref name="messages"/> until the returned lease is disposed.</summary>
    public Lease Hold(IReadOnlyList<Message> messages)
    {
        var lease = new Lease(this, messages);
        if (options.Value.VisibilityHeartbeat)
            _held.TryAdd(lease, 0);
        return lease;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.VisibilityHeartbeat)
            return;

        // The queue's timeout is known once the queues are resolved, before the host starts.
        var timeout = queues.VisibilityTimeout;
        var interval = timeout / 2 > TimeSpan.FromSeconds(1) ? timeout / 2 : TimeSpan.FromSeconds(1);
        var timeoutSeconds = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        // A quarter of the interval: a batch is renewed at most a quarter interval late, well before it expires.
        using var timer = new PeriodicTimer(interval / 4);
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default))
        {
            var due = _held.Keys.Where(lease => lease.IsDue(interval)).ToList();
            // A renewal that failed is logged; the batch is tried again at the next tick.
            await Task.WhenAll(due.Select(lease => lease.RenewAsync(timeoutSeconds)));
        }
    }

    async Task ExtendAsync(IReadOnlyList<Message> messages, int timeoutSeconds)
    {
        try
        {
            var response = await sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest
            {
                QueueUrl = queues.QueueUrl,
                Entries = messages.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)
                {
                    VisibilityTimeout = timeoutSeconds,
                }).ToList(),
            });
            if (response.Failed is { Count: > 0 } failed)
                LogExtendFailed(logger, failed.Count, failed[0].Code);
        }
        catch (Exception ex) when (SqsFailures.IsTransient(ex))
        {
            LogExtendFailed(logger, messages.Count, ex.GetType().Name);
        }
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

        internal Task RenewAsync(int timeoutSeconds)
        {
            lock (_gate)
            {
                if (_released || _renewal is { IsCompleted: false })
                    return Task.CompletedTask;
                Interlocked.Exchange(ref _renewedAt, Stopwatch.GetTimestamp());
                return _renewal = _heartbeat.ExtendAsync(_messages, timeoutSeconds);
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
