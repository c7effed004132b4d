using LoginEtl.Worker.Telemetry;

namespace LoginEtl.Worker.Bench;

/// <summary>
/// The etl: <c>login-etl run --drain</c> over the traffic on the benchmark's queue, from the first receive to the last
/// settled message, then checked: every valid message a row, every invalid one a dead letter. The warm-up runs part of
/// the traffic through it first, untimed.
/// </summary>
static class EtlPhase
{
    const int WarmUpMessages = 50_000;

    /// <summary>Drains the benchmark's queue (filled by the caller); returns the rate.</summary>
    public static async Task<double> MeasureAsync(BenchEnvironment bench, int valid, int invalid)
    {
        await bench.Database.EnsureIsolatedAsync();
        var deadLetteredBefore = await bench.DeadLetterCountAsync();
        using var host = await bench.CreateRunHostAsync(drain: true);
        var telemetry = host.Services.GetRequiredService<LoginEtlTelemetry>();
        await using (bench.Progress(() => $"etl: {telemetry.Summary().Received} of {bench.MessageCount} received"))
            await host.RunAsync();

        var stored = await bench.Database.CountLoginsAsync();
        var deadLettered = await bench.DeadLetterCountAsync() - deadLetteredBefore;
        if (stored != valid || deadLettered != invalid)
            throw new StartupException($"the ETL stored {stored} rows and dead-lettered {deadLettered} messages; expected {valid} and {invalid}");

        var summary = telemetry.Summary();
        return summary.Received / summary.Busy.TotalSeconds;
    }

    // The ceiling's SQS calls are compiled by the time it is measured (filling the queue made them); the
    // processing code is not. Running part of the traffic through `run --drain` first, untimed, on queues of its
    // own, makes the ETL phase compare steady state with steady state, as a long-running service sees it.
    public static async Task WarmUpAsync(BenchEnvironment bench)
    {
        var count = Math.Min(bench.MessageCount, WarmUpMessages);
        var queueName = bench.QueueName + "-warm-up";
        bench.Report($"warm-up: {count} messages through run --drain, not timed");
        var (queueUrl, deadLetterUrl) = await bench.CreateQueuesAsync(queueName);
        try
        {
            await bench.SendAsync(queueUrl, bench.Traffic().Take(count).Select(m => m.Body));
            await bench.Database.EnsureIsolatedAsync();
            using var host = await bench.CreateRunHostAsync(drain: true, queueName);
            var telemetry = host.Services.GetRequiredService<LoginEtlTelemetry>();
            await using (bench.Progress(() => $"warm-up: {telemetry.Summary().Received} of {count} received"))
                await host.RunAsync();
        }
        finally
        {
            await bench.DeleteQueuesAsync(queueUrl, deadLetterUrl);
        }

        await bench.Database.EmptyAsync();
    }
}
