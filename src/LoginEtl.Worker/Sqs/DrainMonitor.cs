using LoginEtl.Worker.Outbox;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// In drain mode (<c>login-etl run --drain</c>) stops the service once the queue holds nothing: no visible,
/// no in-flight (here or at another replica, whose messages come back when their visibility runs out)
/// and no delayed message, seen twice in a row with nothing received in between; with the outbox on, once
/// every committed event has been sent too.
/// </summary>
public sealed partial class DrainMonitor(SqsQueues queues, SqsSettlement settlement, OutboxSender outbox,
    IHostApplicationLifetime lifetime, ILogger<DrainMonitor> logger)
{
    static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(500);

    readonly SemaphoreSlim _checking = new(1, 1);
    long _receives;
    long _receivesAtLastEmptyCheck = -1;
    DateTimeOffset _lastCheck;

    public bool Enabled { get; set; }

    public void MessagesReceived() => Interlocked.Increment(ref _receives);

    /// <summary>Called by a poller whose receive came back empty.</summary>
    public async Task QueueLooksEmptyAsync(CancellationToken cancellationToken)
    {
        if (!Enabled || !_checking.Wait(0, CancellationToken.None))
            return;

        try
        {
            if (DateTimeOffset.UtcNow - _lastCheck < CheckInterval)
                return;
            _lastCheck = DateTimeOffset.UtcNow;

            var receives = Interlocked.Read(ref _receives);
            if (settlement.InFlight > 0 || await queues.ApproximateDepthAsync(queues.QueueUrl, cancellationToken) > 0
                || await outbox.HasPendingAsync(cancellationToken))
            {
                _receivesAtLastEmptyCheck = -1;
                return;
            }

            if (receives == _receivesAtLastEmptyCheck && receives == Interlocked.Read(ref _receives) && settlement.InFlight == 0)
            {
                LogDrained(logger);
                lifetime.StopApplication();
                return;
            }

            _receivesAtLastEmptyCheck = receives;
        }
        finally
        {
            _checking.Release();
        }
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "The queue is drained: nothing visible, in flight or delayed")]
    static partial void LogDrained(ILogger logger);
}
