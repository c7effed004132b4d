using System.Diagnostics.Metrics;

namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>Sums what the service reports on one of its counters while the test runs.</summary>
sealed class MetricTotal : IDisposable
{
    readonly MeterListener _listener = new();
    long _total;

    public MetricTotal(string instrument)
    {
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (published.Meter.Name == "LoginEtl" && published.Name == instrument)
                listener.EnableMeasurementEvents(published);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public void Dispose() => _listener.Dispose();
}
