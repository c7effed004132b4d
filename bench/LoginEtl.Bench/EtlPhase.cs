namespace LoginEtl.Bench;

/// <summary>
/// The etl: <c>run --drain</c> over the traffic on the benchmark's queue, in a process of its own
/// (<see cref="EtlProcess"/>), timed from the end of its warm-up to the last settled message, then checked: every
/// valid message a row, every invalid one a dead letter.
/// </summary>
static class EtlPhase
{
    const int WarmUpMessages = 50_000;

    /// <summary>How many messages the etl, and the ceiling, warm up on before they are measured.</summary>
    public static int WarmUpCount(BenchEnvironment bench) => Math.Min(bench.MessageCount, WarmUpMessages);

    /// <summary>Drains the benchmark's queue (filled by the caller); returns what the etl process measured.</summary>
    /// <remarks>
    /// Part of the traffic goes onto the queue first, again, and the process drains it untimed: the ceiling's SQS calls
    /// are compiled by the time it is measured (filling the queue made them), the processing code is not, and the etl
    /// should compare steady state with steady state, as a long-running service sees it. The measured messages then
    /// leave a queue as deep as the ceiling's.
    /// </remarks>
    public static async Task<EtlReport> MeasureAsync(BenchEnvironment bench, int valid, int invalid)
    {
        var warmUp = bench.Traffic().Take(WarmUpCount(bench)).ToList();
        bench.Report($"etl: {warmUp.Count} messages to warm up on, then the {bench.MessageCount} on the queue");
        await bench.SendAsync(bench.QueueUrl, warmUp.Select(m => m.Body));
        await bench.Database.EnsureIsolatedAsync();
        var storedBefore = await bench.Database.CountLoginsAsync();
        var deadLetteredBefore = await bench.DeadLetterCountAsync();

        var report = await EtlProcess.RunAsync(bench, warmUp.Count);

        var stored = await bench.Database.CountLoginsAsync() - storedBefore - warmUp.Count(m => m.Valid);
        var deadLettered = await bench.DeadLetterCountAsync() - deadLetteredBefore - warmUp.Count(m => !m.Valid);
        if (stored != valid || deadLettered != invalid)
            throw new StartupException($"the ETL stored {stored} rows and dead-lettered {deadLettered} messages; expected {valid} and {invalid}");
        return report;
    }
}
