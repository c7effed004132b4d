using System.Diagnostics;
using System.Text;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Worker.Bench;

/// <summary>
/// The pipeline without SQS: the traffic from memory through MassTransit's dispatcher, validation, masking and durable
/// group commits, <c>Sqs__MaxInFlight</c> messages at a time.
/// </summary>
static class PipelinePhase
{
    /// <summary>Sends the traffic through the pipeline until <paramref name="expectedRows"/> rows are there in all; returns the rate.</summary>
    public static async Task<double> MeasureAsync(BenchEnvironment bench, long expectedRows)
    {
        await bench.Database.EnsureIsolatedAsync();
        using var host = bench.CreatePipelineHost();
        await host.StartAsync();
        var dispatcher = host.Services.GetRequiredService<LoginEventDispatcherFactory>().Create("loginetl-bench-pipeline");
        using var bodies = bench.Traffic().Select(m => Encoding.UTF8.GetBytes(m.Body)).GetEnumerator();
        var headers = new Dictionary<string, object>();
        var taken = 0;

        var started = Stopwatch.GetTimestamp();
        await using (bench.Progress(() => $"pipeline: {Volatile.Read(ref taken)} of {bench.MessageCount} dispatched"))
        {
            await Task.WhenAll(Enumerable.Range(0, bench.SqsOptions.MaxInFlight).Select(async worker =>
            {
                while (NextBody() is { } body)
                {
                    try
                    {
                        var (id, now) = (Guid.NewGuid().ToString(), DateTimeOffset.UtcNow);
                        await dispatcher.Dispatch(body, headers, CancellationToken.None, new LoginDelivery(id, now, new InboxKey(id, now), 1));
                    }
                    catch (Exception ex) when (LoginEventFaults.TryClassify(ex, out _))
                    {
                        // Malformed JSON fails the pipeline (an invalid event is rejected on its delivery instead):
                        // either way not stored, as the ETL would dead-letter it.
                    }
                }
            }));
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        await host.StopAsync();

        var stored = await bench.Database.CountLoginsAsync();
        if (stored != expectedRows)
            throw new StartupException($"the pipeline left {stored} rows; expected {expectedRows}");
        return bench.MessageCount / elapsed.TotalSeconds;

        byte[]? NextBody()
        {
            lock (bodies)
            {
                if (!bodies.MoveNext())
                    return null;
                taken++;
                return bodies.Current;
            }
        }
    }
}
