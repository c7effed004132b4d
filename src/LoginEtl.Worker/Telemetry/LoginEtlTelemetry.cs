using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LoginEtl.Worker.Telemetry;

/// <summary>The service's own traces and metrics. Attributes carry kinds and counts, never personal values.</summary>
public sealed class LoginEtlTelemetry : IDisposable
{
    public const string Name = "LoginEtl";

    readonly Meter _meter;
    readonly Counter<long> _received;
    readonly Counter<long> _stored;
    readonly Counter<long> _duplicates;
    readonly Counter<long> _deadLettered;
    readonly Counter<long> _redelivered;
    readonly Histogram<int> _batchSize;
    readonly Histogram<double> _writeDuration;
    long _inFlight;

    public LoginEtlTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _received = _meter.CreateCounter<long>("loginetl.messages.received", "{message}", "Messages received from SQS");
        _stored = _meter.CreateCounter<long>("loginetl.messages.stored", "{message}", "Logins committed to user_logins");
        _duplicates = _meter.CreateCounter<long>("loginetl.messages.duplicates", "{message}", "Deliveries of messages already stored");
        _deadLettered = _meter.CreateCounter<long>("loginetl.messages.dead_lettered", "{message}", "Messages sent to the dead-letter queue, by error kind");
        _redelivered = _meter.CreateCounter<long>("loginetl.messages.redelivered", "{message}", "Messages left on the queue for a later delivery after a transient failure");
        _batchSize = _meter.CreateHistogram<int>("loginetl.write.batch_size", "{message}", "Logins per database transaction");
        _writeDuration = _meter.CreateHistogram<double>("loginetl.write.duration", "s", "Time to write and commit one batch");
        _meter.CreateObservableGauge("loginetl.messages.in_flight", () => Interlocked.Read(ref _inFlight), "{message}", "Messages received and not yet settled");
    }

    public static ActivitySource ActivitySource { get; } = new(Name);

    public long InFlight => Interlocked.Read(ref _inFlight);

    public void Received(int count)
    {
        _received.Add(count);
        Interlocked.Add(ref _inFlight, count);
    }

    public void Settled(int count) => Interlocked.Add(ref _inFlight, -count);

    public void DeadLettered(string kind) => _deadLettered.Add(1, new KeyValuePair<string, object?>("error.kind", kind));

    public void Redelivered() => _redelivered.Add(1);

    public void RecordBatch(int size, int stored, TimeSpan duration)
    {
        _stored.Add(stored);
        _duplicates.Add(size - stored);
        _batchSize.Record(size);
        _writeDuration.Record(duration.TotalSeconds);
    }

    public void Dispose() => _meter.Dispose();
}
