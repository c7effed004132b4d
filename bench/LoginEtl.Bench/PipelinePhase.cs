using MassTransit.Transports;
using System.Diagnostics;
using System.Runtime;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Bench;

/// <summary>
/// The pipeline without SQS: the traffic from memory through what the receive endpoint does with a body (the reader's
/// size, strict JSON, validation and masking; MassTransit's dispatcher for what it read as a login) and durable group
/// commits, <c>Sqs__MaxInFlight</c> messages at a time. As the etl, it warms up first (the etl's warm-up count of the
/// traffic, untimed, then until the runtime has compiled what the warm-up made hot), so that steady state is measured,
/// not the compiler: the measured pass is timed, and this process's CPU taken, from its first message to its last
/// commit, with the bodies already in memory.
/// </summary>
static class PipelinePhase
{
    /// <summary>
    /// Sends the warm-up, then the traffic, through the pipeline; checks that every valid message of both is a row
    /// (<paramref name="storedBefore"/> were there before); returns the measured pass's rate, this process's CPU per
    /// message, and the local PostgreSQL server's CPU (all its processes) per row stored.
    /// </summary>
    public static async Task<(double Rate, double CpuMicroseconds, double PostgresCpuMicroseconds)> MeasureAsync(BenchEnvironment bench, long storedBefore)
    {
        await bench.Database.EnsureIsolatedAsync();
        var traffic = bench.Traffic().ToList();
        var warmUp = traffic[..EtlPhase.WarmUpCount(bench)];
        using var host = bench.CreatePipelineHost();
        await host.StartAsync();
        var dispatcher = host.Services.GetRequiredService<LoginEventDispatcherFactory>().Create("loginetl-bench-pipeline");
        var reader = host.Services.GetRequiredService<LoginReader>();

        await SendAsync(bench, dispatcher, reader, warmUp, "warm-up");
        await CompilerQuietAsync();
        bench.Report($"pipeline: warmed up on {warmUp.Count} messages; measuring {traffic.Count}");
        var (cpuBefore, postgresBefore) = (Process.GetCurrentProcess().TotalProcessorTime, ProcStat.CpuOfAll("postgres"));
        var started = Stopwatch.GetTimestamp();
        await SendAsync(bench, dispatcher, reader, traffic, "measured");
        var elapsed = Stopwatch.GetElapsedTime(started);
        var (cpu, postgres) = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore, ProcStat.CpuOfAll("postgres") - postgresBefore);
        await host.StopAsync();

        var valid = traffic.Count(m => m.Valid);
        var expected = storedBefore + warmUp.Count(m => m.Valid) + valid;
        var stored = await bench.Database.CountLoginsAsync();
        if (stored != expected)
            throw new StartupException($"the pipeline left {stored} rows; expected {expected}");
        return (traffic.Count / elapsed.TotalSeconds, cpu.TotalMicroseconds / traffic.Count, postgres.TotalMicroseconds / Math.Max(1, valid));
    }

    // The warm-up leaves methods queued for their optimised tier, compiled in the background over the next second or
    // so; a replica has long done that. Waits until no method was compiled for half a second (10 s at most).
    static async Task CompilerQuietAsync()
    {
        var deadline = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
        for (var compiled = JitInfo.GetCompiledMethodCount(); Stopwatch.GetTimestamp() < deadline;)
        {
            await Task.Delay(500);
            var now = JitInfo.GetCompiledMethodCount();
            if (now == compiled)
                return;
            compiled = now;
        }
    }

    static async Task SendAsync(BenchEnvironment bench, IReceiveEndpointDispatcher dispatcher, LoginReader reader, List<SampleTraffic.Message> messages, string pass)
    {
        var headers = new Dictionary<string, object>();
        var taken = -1;
        await using var progress = bench.Progress(() => $"pipeline ({pass}): {Math.Min(Volatile.Read(ref taken) + 1, messages.Count)} of {messages.Count} dispatched");
        await Task.WhenAll(Enumerable.Range(0, bench.SqsOptions.MaxInFlight).Select(async _ =>
        {
            for (var next = Interlocked.Increment(ref taken); next < messages.Count; next = Interlocked.Increment(ref taken))
            {
                // An invalid body is a rejection here, not stored, as the ETL would dead-letter it.
                var read = reader.Read(messages[next].Body, bench.SqsOptions.MaxBodyBytes, bench.SqsOptions.AcceptedShapes, out var utf8);
                if (read.Rejection is not null)
                    continue;
                var (id, now) = (Guid.NewGuid().ToString(), DateTimeOffset.UtcNow);
                await dispatcher.Dispatch(utf8!, headers, CancellationToken.None, new LoginDelivery(id, now, new InboxKey(id, now), 1), read);
            }
        }));
    }
}
