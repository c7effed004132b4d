namespace LoginEtl.Worker.Bench;

/// <summary>
/// The etl: <c>run --drain</c> over the traffic on the benchmark's queue, in a process of its own
/// (<see cref="EtlProcess"/>), timed from the first receive to the last settled message, then checked: every valid
/// message a row, every invalid one a dead letter.
/// </summary>
static class EtlPhase
{
    const int WarmUpMessages = 50_000;

    /// <summary>Drains the benchmark's queue (filled by the caller); returns what the etl process measured.</summary>
    /// <remarks>
    /// The process first drains part of the traffic from queues of its own, untimed: the ceiling's SQS calls are
    /// compiled by the time it is measured (filling the queue made them), the processing code is not, and the etl
    /// should compare steady state with steady state, as a long-running service sees it.
    /// </remarks>
    public static async Task<EtlReport> MeasureAsync(BenchEnvironment bench, int valid, int invalid)
    {
        var warmUp = bench.Traffic().Take(Math.Min(bench.MessageCount, WarmUpMessages)).ToList();
        var warmUpQueue = bench.QueueName + "-warm-up";
        var (warmUpUrl, warmUpDeadLetterUrl) = await bench.CreateQueuesAsync(warmUpQueue);
        try
        {
            bench.Report($"etl: {warmUp.Count} messages to warm up on, then the {bench.MessageCount} on the queue");
            await bench.SendAsync(warmUpUrl, warmUp.Select(m => m.Body));
            await bench.Database.EnsureIsolatedAsync();
            var storedBefore = await bench.Database.CountLoginsAsync();
            var deadLetteredBefore = await bench.DeadLetterCountAsync();

            var report = await EtlProcess.RunAsync(bench, warmUpQueue);

            var stored = await bench.Database.CountLoginsAsync() - storedBefore - warmUp.Count(m => m.Valid);
            var deadLettered = await bench.DeadLetterCountAsync() - deadLetteredBefore;
            if (stored != valid || deadLettered != invalid)
                throw new StartupException($"the ETL stored {stored} rows and dead-lettered {deadLettered} messages; expected {valid} and {invalid}");
            return report;
        }
        finally
        {
            await bench.DeleteQueuesAsync(warmUpUrl, warmUpDeadLetterUrl);
        }
    }
}
