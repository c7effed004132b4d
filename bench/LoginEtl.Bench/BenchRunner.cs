namespace LoginEtl.Bench;

/// <summary>
/// Measures, in one run and side by side: the SQS ceiling (the same pollers receiving and deleting with no
/// processing), the ETL (<c>run --drain</c> over the same number of messages), the pipeline without SQS
/// (dispatcher, masking, durable commits), the latency from SentTimestamp to commit at half the ETL rate, and the SQS
/// calls of an idle replica. With <c>--sqs-latency-ms</c>, every SQS call of every phase takes that much longer.
/// Everything runs on queues and in a database schema of its own, removed at the end.
/// </summary>
sealed class BenchRunner(string[] configurationArgs, BenchSettings settings, TextWriter progress)
{
    /// <summary>The pipeline phase alone, on a schema of its own.</summary>
    public async Task<PipelineResult> RunPipelineAsync()
    {
        await using var bench = await BenchEnvironment.CreateAsync(configurationArgs, settings.Messages, settings.InvalidPercent, settings.SqsLatency, progress);
        bench.Report("pipeline: the messages from memory through the dispatcher");
        var pipeline = await PipelinePhase.MeasureAsync(bench, await bench.Database.CountLoginsAsync());
        bench.Report($"pipeline: {pipeline.Rate:F0} messages/s, {pipeline.CpuMicroseconds:F0} us of CPU each");
        return new PipelineResult(settings.Messages, Math.Round(pipeline.Rate), Math.Round(pipeline.CpuMicroseconds, 1), Math.Round(pipeline.PostgresCpuMicroseconds, 1));
    }

    public async Task<BenchResult> RunAsync()
    {
        var messageCount = settings.Messages;
        await using var bench = await BenchEnvironment.CreateAsync(configurationArgs, messageCount, settings.InvalidPercent, settings.SqsLatency, progress);
        var invalid = bench.Traffic().Count(m => !m.Valid);
        var valid = messageCount - invalid;

        bench.Report($"sending {messageCount} messages ({invalid} invalid)");
        await bench.SendAsync(bench.QueueUrl, bench.Traffic().Select(m => m.Body));
        var before = await CeilingPhase.MeasureAsync(bench, "before the etl");
        bench.Report($"sending {messageCount} messages again");
        await bench.SendAsync(bench.QueueUrl, bench.Traffic().Select(m => m.Body));
        var inboxBefore = await bench.Database.InboxBytesAsync();
        var inboxEntriesBefore = await bench.Database.CountInboxAsync();
        var etlReport = await EtlPhase.MeasureAsync(bench, valid, invalid);
        var etl = (etlReport.Rate, CpuMicroseconds: etlReport.CpuSeconds * 1e6 / etlReport.Received);
        var inboxMegabytesPerMillion = (await bench.Database.InboxBytesAsync() - inboxBefore) / (double)(await bench.Database.CountInboxAsync() - inboxEntriesBefore);
        var callsPerThousand = etlReport.SqsRequests.Values.Sum() * 1000.0 / etlReport.Received;
        bench.Report($"etl: {etl.Rate:F0} messages/s, {etl.CpuMicroseconds:F0} us of CPU each (PostgreSQL {etlReport.PostgresCpuMicroseconds:F0} us a row), peak RSS {etlReport.PeakRssMegabytes:F0} MB, "
            + $"{callsPerThousand:F0} SQS calls per 1000 messages; inbox {inboxMegabytesPerMillion:F0} MB per million messages; sending {messageCount} messages again");
        await bench.SendAsync(bench.QueueUrl, bench.Traffic().Select(m => m.Body));
        var after = await CeilingPhase.MeasureAsync(bench, "after the etl");
        // The mean of the two measurements around the etl: a machine that speeds up or slows down during the
        // run tilts the ratio less than a single measurement before it would.
        (double Rate, double CpuMicroseconds) ceiling = ((before.Rate + after.Rate) / 2, (before.CpuMicroseconds + after.CpuMicroseconds) / 2);
        bench.Report("pipeline: the same messages from memory through the dispatcher");
        var storedBefore = await bench.Database.CountLoginsAsync();
        var pipeline = await PipelinePhase.MeasureAsync(bench, storedBefore);
        var load = Math.Max(1, etl.Rate / 2);
        bench.Report($"pipeline: {pipeline.Rate:F0} messages/s, {pipeline.CpuMicroseconds:F0} us of CPU each; latency under a steady {load:F0} messages/s");
        var (p50, p99) = await LatencyPhase.MeasureAsync(bench, load);
        var idleReceivesPerHour = await IdlePhase.MeasureAsync(bench, settings.IdleDuration);
        var prefilled = settings.InboxPrefill > 0 ? await PrefilledInboxPhase.MeasureAsync(bench, settings.InboxPrefill, valid, invalid) : null;
        var fifo = settings.FifoGroups.Count > 0 ? await FifoPhase.MeasureAsync(bench, settings.FifoGroups) : null;

        return new BenchResult(messageCount, invalid, bench.SqsOptions.Pollers, Math.Round(ceiling.Rate), Math.Round(etl.Rate),
            Math.Round(etl.Rate / ceiling.Rate, 3), Math.Round(pipeline.Rate), Math.Round(ProcessUsage.PeakResidentMegabytes(), 1), Math.Round(load),
            Math.Round(p50, 1), Math.Round(p99, 1), Math.Round(ceiling.CpuMicroseconds, 1), Math.Round(etl.CpuMicroseconds, 1),
            Math.Round(pipeline.CpuMicroseconds, 1), Math.Round(before.Rate), Math.Round(after.Rate), Math.Round(inboxMegabytesPerMillion, 1),
            (int)settings.SqsLatency.TotalMilliseconds, Math.Round(etlReport.PeakRssMegabytes, 1), Math.Round(callsPerThousand, 1), etlReport.SqsRequests,
            Math.Round(idleReceivesPerHour))
        {
            Prefilled = prefilled,
            Fifo = fifo,
            CpuOverhead = Math.Round(etl.CpuMicroseconds / ceiling.CpuMicroseconds, 3),
            PostgresCpuMicroseconds = Math.Round(etlReport.PostgresCpuMicroseconds, 1),
            EtlMeanBatchSize = Math.Round(etlReport.MeanBatchSize, 1),
        };
    }
}
