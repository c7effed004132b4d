using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Amazon.SQS.Model;
using LoginEtl.Worker.Telemetry;

namespace LoginEtl.Bench;

/// <summary>
/// The latency from SentTimestamp to commit, p50 and p99, under a steady load of valid messages at a given rate, as the
/// service itself records it (<c>loginetl.messages.lag</c>).
/// </summary>
static class LatencyPhase
{
    static readonly TimeSpan LoadDuration = TimeSpan.FromSeconds(15);
    static readonly TimeSpan SettleTimeout = TimeSpan.FromMinutes(2);

    public static async Task<(double P50, double P99)> MeasureAsync(BenchEnvironment bench, double rate)
    {
        var validBodies = bench.Traffic().Where(m => m.Valid).Select(m => m.Body)
            .Take((int)Math.Max(100, rate * LoadDuration.TotalSeconds)).ToList();
        var count = validBodies.Count;
        var lags = new List<double>(count);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LoginEtlTelemetry.Name && instrument.Name == "loginetl.messages.lag")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            lock (lags)
                lags.Add(seconds * 1000);
        });
        listener.Start();

        await bench.Database.EnsureIsolatedAsync();
        using var host = await bench.CreateRunHostAsync(drain: false);
        await host.StartAsync();

        // Batches of ten on a fixed schedule: the load does not speed up when the service falls behind.
        var sends = new List<Task>();
        await using (bench.Progress(() => $"latency: {LagCount()} of {count} stored"))
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < count; i += 10)
            {
                var due = TimeSpan.FromSeconds(i / rate) - Stopwatch.GetElapsedTime(started);
                if (due > TimeSpan.Zero)
                    await Task.Delay(due);
                var batch = validBodies.Skip(i).Take(Math.Min(10, count - i)).Select((b, j) => new SendMessageBatchRequestEntry(j.ToString(CultureInfo.InvariantCulture), b)).ToList();
                sends.Add(bench.Sqs.SendMessageBatchAsync(new SendMessageBatchRequest(bench.QueueUrl, batch)));
            }

            await Task.WhenAll(sends);
            var deadline = Stopwatch.GetTimestamp() + (long)(SettleTimeout.TotalSeconds * Stopwatch.Frequency);
            while (LagCount() < count && Stopwatch.GetTimestamp() < deadline)
                await Task.Delay(50);
        }

        await host.StopAsync();

        double[] sorted;
        lock (lags)
            sorted = [.. lags.Order()];
        if (sorted.Length < count)
            throw new StartupException($"only {sorted.Length} of {count} messages were stored within {SettleTimeout.TotalSeconds:F0} s under load");
        return (Percentiles.Of(sorted, 0.50), Percentiles.Of(sorted, 0.99));

        int LagCount()
        {
            lock (lags)
                return lags.Count;
        }
    }
}
