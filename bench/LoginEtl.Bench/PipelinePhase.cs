using System.Diagnostics;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Bench;

/// <summary>
/// The pipeline without SQS: the traffic from memory through what the receive endpoint does with a body (the reader's
/// size, strict JSON, validation and masking; MassTransit's dispatcher for what it read as a login) and durable group
/// commits, <c>Sqs__MaxInFlight</c> messages at a time.
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
        var reader = host.Services.GetRequiredService<LoginReader>();
        using var bodies = bench.Traffic().Select(m => m.Body).GetEnumerator();
        var headers = new Dictionary<string, object>();
        var taken = 0;

        var started = Stopwatch.GetTimestamp();
        await using (bench.Progress(() => $"pipeline: {Volatile.Read(ref taken)} of {bench.MessageCount} dispatched"))
        {
            await Task.WhenAll(Enumerable.Range(0, bench.SqsOptions.MaxInFlight).Select(async worker =>
            {
                while (NextBody() is { } body)
                {
                    // An invalid body is a rejection here, not stored, as the ETL would dead-letter it.
                    var read = reader.Read(body, bench.SqsOptions.MaxBodyBytes, bench.SqsOptions.AcceptedShapes, out var utf8);
                    if (read.Rejection is not null)
                        continue;
                    var (id, now) = (Guid.NewGuid().ToString(), DateTimeOffset.UtcNow);
                    await dispatcher.Dispatch(utf8!, headers, CancellationToken.None, new LoginDelivery(id, now, new InboxKey(id, now), 1), read);
                }
            }));
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        await host.StopAsync();

        var stored = await bench.Database.CountLoginsAsync();
        if (stored != expectedRows)
            throw new StartupException($"the pipeline left {stored} rows; expected {expectedRows}");
        return bench.MessageCount / elapsed.TotalSeconds;

        string? NextBody()
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
