using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;
using LoginEtl.Worker.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LoginEtl.Worker.Bench;

/// <summary>
/// Measures, in one run and side by side: the SQS ceiling (the same pollers receiving and deleting with no
/// processing), the ETL (<c>run --drain</c> over the same number of messages), the pipeline without SQS
/// (dispatcher, masking, durable commits), and the latency from SentTimestamp to commit at half the ETL rate.
/// Everything runs on queues and in a database schema of its own, removed at the end.
/// </summary>
sealed class BenchRunner(string[] configurationArgs, int messageCount, double invalidPercent, long inboxPrefill, TextWriter progress)
{
    static readonly TimeSpan LatencyLoadDuration = TimeSpan.FromSeconds(15);
    const int WarmUpMessages = 50_000;
    static readonly TimeSpan SettleTimeout = TimeSpan.FromMinutes(2);

    readonly string _runId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray(), 0, 4);
    SqsOptions _sqsOptions = new();
    IAmazonSQS _sqs = null!;
    string _queueUrl = "";
    string _deadLetterUrl = "";
    BenchDatabase _database = null!;

    string QueueName => $"loginetl-bench-{_runId}";

    string WarmUpQueueName => QueueName + "-warm-up";

    string Schema => $"loginetl_bench_{_runId}";

    public async Task<BenchResult> RunAsync()
    {
        // The traffic is generated again for each phase rather than held: the backlog lives in SQS, not here.
        var invalid = Traffic().Count(m => !m.Valid);
        var valid = messageCount - invalid;
        await SetUpAsync();
        try
        {
            Report($"sending {messageCount} messages ({invalid} invalid)");
            await SendAsync(_queueUrl, Traffic().Select(m => m.Body));
            var before = await MeasureCeilingAsync("before the etl");
            await WarmUpAsync();
            Report($"sending {messageCount} messages again");
            await SendAsync(_queueUrl, Traffic().Select(m => m.Body));
            Report("etl: login-etl run --drain");
            var inboxBefore = await _database.InboxBytesAsync();
            var etl = await MeasureAsync(() => MeasureEtlAsync(valid, invalid));
            var inboxMegabytesPerMillion = (await _database.InboxBytesAsync() - inboxBefore) / (double)valid;
            Report($"etl: {etl.Rate:F0} messages/s, {etl.CpuMicroseconds:F0} us of CPU each; inbox {inboxMegabytesPerMillion:F0} MB per million messages; sending {messageCount} messages again");
            await SendAsync(_queueUrl, Traffic().Select(m => m.Body));
            var after = await MeasureCeilingAsync("after the etl");
            // The mean of the two measurements around the etl: a machine that speeds up or slows down during the
            // run tilts the ratio less than a single measurement before it would.
            (double Rate, double CpuMicroseconds) ceiling = ((before.Rate + after.Rate) / 2, (before.CpuMicroseconds + after.CpuMicroseconds) / 2);
            Report("pipeline: the same messages from memory through the dispatcher");
            var pipeline = await MeasureAsync(() => MeasurePipelineAsync(2L * valid));
            var load = Math.Max(1, etl.Rate / 2);
            Report($"pipeline: {pipeline.Rate:F0} messages/s, {pipeline.CpuMicroseconds:F0} us of CPU each; latency under a steady {load:F0} messages/s");
            var (p50, p99) = await MeasureLatencyAsync(load);
            var prefilled = inboxPrefill > 0 ? await MeasurePrefilledInboxAsync(valid, invalid) : null;

            return new BenchResult(messageCount, invalid, _sqsOptions.Pollers, Math.Round(ceiling.Rate), Math.Round(etl.Rate),
                Math.Round(etl.Rate / ceiling.Rate, 3), Math.Round(pipeline.Rate), Math.Round(PeakRssMegabytes(), 1), Math.Round(load),
                Math.Round(p50, 1), Math.Round(p99, 1), Math.Round(ceiling.CpuMicroseconds, 1), Math.Round(etl.CpuMicroseconds, 1),
                Math.Round(pipeline.CpuMicroseconds, 1), Math.Round(before.Rate), Math.Round(after.Rate), Math.Round(inboxMegabytesPerMillion, 1))
            {
                Prefilled = prefilled,
            };
        }
        finally
        {
            await TearDownAsync();
        }
    }

    IEnumerable<SampleTraffic.Message> Traffic() => SampleTraffic.Generate(messageCount, invalidPercent, seed: 20261125);

    void Report(string line) => progress.WriteLine($"bench: {line}");

    // A phase's rate, and this process's CPU time per message over the phase (all threads, user and system).
    async Task<(double Rate, double CpuMicroseconds)> MeasureAsync(Func<Task<double>> phase)
    {
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var rate = await phase();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        return (rate, cpu.TotalMicroseconds / messageCount);
    }

    // Queues and a schema of the benchmark's own: the configured database and queues are left alone.
    async Task SetUpAsync()
    {
        var builder = LoginEtlHost.CreateBuilder(configurationArgs);
        builder.AddSqs();
        builder.AddLoginDatabase();
        using var host = builder.Build();
        StartupChecks.ValidateOptions<SqsOptions>(host.Services);
        _sqsOptions = host.Services.GetRequiredService<IOptions<SqsOptions>>().Value;
        _sqs = SqsClientFactory.Create(_sqsOptions.ServiceUrl);
        _database = new BenchDatabase(
            host.Services.GetRequiredService<IConfiguration>().GetConnectionString(LoginDatabaseRegistration.ConnectionStringName)!, Schema);

        try
        {
            (_queueUrl, _deadLetterUrl) = await CreateQueuesAsync(QueueName);
        }
        catch (Exception ex) when (ex is AmazonSQSException or HttpRequestException)
        {
            throw new StartupException($"cannot create the benchmark's queues (Sqs__ServiceUrl / AWS_ENDPOINT_URL_SQS): {ex.Message}");
        }

        try
        {
            await _database.CreateAsync();
        }
        catch (NpgsqlException ex)
        {
            throw new StartupException($"cannot create the benchmark's schema (ConnectionStrings__LoginDb): {ex.Message}");
        }
    }

    // A queue and its dead-letter queue, named after the queue.
    async Task<(string QueueUrl, string DeadLetterUrl)> CreateQueuesAsync(string name)
    {
        var deadLetterUrl = (await _sqs.CreateQueueAsync(name + "-dlq")).QueueUrl;
        var deadLetterArn = (await _sqs.GetQueueAttributesAsync(deadLetterUrl, ["QueueArn"])).QueueARN;
        var queueUrl = (await _sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = name,
            Attributes = new Dictionary<string, string>
            {
                ["RedrivePolicy"] = JsonSerializer.Serialize(new { deadLetterTargetArn = deadLetterArn, maxReceiveCount = "10" }),
            },
        })).QueueUrl;
        return (queueUrl, deadLetterUrl);
    }

    async Task DeleteQueuesAsync(params string[] urls)
    {
        foreach (var url in urls.Where(u => u.Length > 0))
            await _sqs.DeleteQueueAsync(url);
    }

    async Task TearDownAsync()
    {
        await DeleteQueuesAsync(_queueUrl, _deadLetterUrl);
        await _database.DropAsync();
        _sqs.Dispose();
    }

    Dictionary<string, string?> Overrides() => Overrides(QueueName);

    Dictionary<string, string?> Overrides(string queueName) => new()
    {
        ["ConnectionStrings:LoginDb"] = _database.ConnectionString,
        ["Sqs:QueueName"] = queueName,
        ["Sqs:DeadLetterQueueName"] = queueName + "-dlq",
        ["Health:Port"] = "0",
        // Thousands of dead letters are expected: one line each would measure the console.
        ["Logging:LogLevel:LoginEtl"] = "Error",
    };

    async Task SendAsync(string queueUrl, IEnumerable<string> bodies)
    {
        var result = await SqsBatchSender.SendAsync(_sqs, queueUrl, bodies.Select((b, i) => ((long)i, b)).ToAsyncEnumerable(),
            _sqsOptions.Pollers, progress);
        if (result.Failed > 0)
            throw new StartupException($"{result.Failed} messages could not be sent to the benchmark queue");
    }

    async Task<(double Rate, double CpuMicroseconds)> MeasureCeilingAsync(string when)
    {
        Report($"ceiling ({when}): {_sqsOptions.Pollers} pollers receiving and deleting, no processing");
        var ceiling = await MeasureAsync(() => ReceiveAndDeleteAsync(messageCount));
        Report($"ceiling ({when}): {ceiling.Rate:F0} messages/s, {ceiling.CpuMicroseconds:F0} us of CPU each");
        return ceiling;
    }

    // Timed like the ETL's summary: from the first receive that brought messages to the last settled batch.
    async Task<double> ReceiveAndDeleteAsync(int expected)
    {
        var received = 0L;
        var firstReceived = 0L;
        var lastDeleted = 0L;
        await Task.WhenAll(Enumerable.Range(0, _sqsOptions.Pollers).Select(async _ =>
        {
            while (Interlocked.Read(ref received) < expected)
            {
                var response = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest
                {
                    QueueUrl = _queueUrl,
                    MaxNumberOfMessages = 10,
                    WaitTimeSeconds = 1,
                    MessageSystemAttributeNames = [MessageSystemAttributeName.SentTimestamp, MessageSystemAttributeName.ApproximateReceiveCount],
                    MessageAttributeNames = ["All"],
                });
                if (response.Messages is not { Count: > 0 } messages)
                    continue;

                Interlocked.CompareExchange(ref firstReceived, Stopwatch.GetTimestamp(), 0);
                await _sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
                {
                    QueueUrl = _queueUrl,
                    Entries = messages.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList(),
                });
                Interlocked.Add(ref received, messages.Count);
                Interlocked.Exchange(ref lastDeleted, Stopwatch.GetTimestamp());
            }
        }));

        return expected / Stopwatch.GetElapsedTime(firstReceived, lastDeleted).TotalSeconds;
    }

    async Task<double> MeasureEtlAsync(int valid, int invalid)
    {
        await _database.EnsureIsolatedAsync();
        var deadLetteredBefore = await DeadLetterCountAsync();
        using var host = await LoginEtlHost.CreateRunHostAsync(drain: true, configurationArgs, Overrides());
        var telemetry = host.Services.GetRequiredService<LoginEtlTelemetry>();
        await host.RunAsync();

        var stored = await _database.CountLoginsAsync();
        var deadLettered = await DeadLetterCountAsync() - deadLetteredBefore;
        if (stored != valid || deadLettered != invalid)
            throw new StartupException($"the ETL stored {stored} rows and dead-lettered {deadLettered} messages; expected {valid} and {invalid}");

        var summary = telemetry.Summary();
        return summary.Received / summary.Busy.TotalSeconds;
    }

    async Task<long> DeadLetterCountAsync() =>
        (await _sqs.GetQueueAttributesAsync(_deadLetterUrl, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages;

    // The etl again with the inbox holding --inbox-prefill entries spread over a full window, between two etl runs on
    // an empty inbox: the machine's speed drifts from one minute to the next, and the mean of the two is the reference.
    async Task<PrefilledInboxResult> MeasurePrefilledInboxAsync(int valid, int invalid)
    {
        TimeSpan window;
        using (var host = await LoginEtlHost.CreateRunHostAsync(drain: true, configurationArgs, Overrides()))
            window = host.Services.GetRequiredService<InboxWindow>().Window;

        var emptyBefore = await MeasureEtlOnAsync("an empty inbox", valid, invalid);
        await _database.EmptyAsync();
        Report($"inbox: writing {inboxPrefill} entries first sent over the last {window.TotalDays:F1} days (the window)");
        var started = Stopwatch.GetTimestamp();
        await _database.PrefillInboxAsync(inboxPrefill, window, written =>
            Report($"inbox: {written} of {inboxPrefill} entries written ({Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s)"));
        var megabytesPerMillion = await _database.InboxBytesAsync() / (double)inboxPrefill;
        Report($"inbox: {megabytesPerMillion:F1} MB per million entries");
        var prefilled = await MeasureEtlOnAsync($"{inboxPrefill} entries", valid, invalid, keepInbox: true);
        var emptyAfter = await MeasureEtlOnAsync("an empty inbox again", valid, invalid);
        var reference = (emptyBefore + emptyAfter) / 2;
        return new PrefilledInboxResult(inboxPrefill, Math.Round(megabytesPerMillion, 1), Math.Round(prefilled), Math.Round(emptyBefore),
            Math.Round(emptyAfter), Math.Round(prefilled / reference, 3));
    }

    async Task<double> MeasureEtlOnAsync(string inbox, int valid, int invalid, bool keepInbox = false)
    {
        if (keepInbox)
            await _database.DeleteLoginsAsync();
        else
            await _database.EmptyAsync();
        Report($"etl on {inbox}: sending {messageCount} messages");
        await SendAsync(_queueUrl, Traffic().Select(m => m.Body));
        var rate = await MeasureEtlAsync(valid, invalid);
        Report($"etl on {inbox}: {rate:F0} messages/s");
        return rate;
    }

    // The ceiling's SQS calls are compiled by the time it is measured (filling the queue made them); the
    // processing code is not. Running part of the traffic through `run --drain` first, untimed, on queues of its
    // own, makes the ETL phase compare steady state with steady state, as a long-running service sees it.
    async Task WarmUpAsync()
    {
        var count = Math.Min(messageCount, WarmUpMessages);
        Report($"warm-up: {count} messages through run --drain, not timed");
        var (queueUrl, deadLetterUrl) = await CreateQueuesAsync(WarmUpQueueName);
        try
        {
            await SendAsync(queueUrl, Traffic().Take(count).Select(m => m.Body));
            await _database.EnsureIsolatedAsync();
            using var host = await LoginEtlHost.CreateRunHostAsync(drain: true, configurationArgs, Overrides(WarmUpQueueName));
            await host.RunAsync();
        }
        finally
        {
            await DeleteQueuesAsync(queueUrl, deadLetterUrl);
        }

        await _database.EmptyAsync();
    }

    async Task<double> MeasurePipelineAsync(long expectedRows)
    {
        await _database.EnsureIsolatedAsync();
        var builder = LoginEtlHost.CreateBuilder(configurationArgs);
        builder.Configuration.AddInMemoryCollection(Overrides());
        builder.AddLoginEtlPipeline();
        using var host = builder.Build();
        await host.StartAsync();
        var dispatcher = host.Services.GetRequiredService<LoginEventDispatcherFactory>().Create("loginetl-bench-pipeline");
        using var bodies = Traffic().Select(m => Encoding.UTF8.GetBytes(m.Body)).GetEnumerator();
        var headers = new Dictionary<string, object>();

        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, _sqsOptions.MaxInFlight).Select(async worker =>
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
        var elapsed = Stopwatch.GetElapsedTime(started);
        await host.StopAsync();

        var stored = await _database.CountLoginsAsync();
        if (stored != expectedRows)
            throw new StartupException($"the pipeline left {stored} rows; expected {expectedRows}");
        return messageCount / elapsed.TotalSeconds;

        byte[]? NextBody()
        {
            lock (bodies)
                return bodies.MoveNext() ? bodies.Current : null;
        }
    }

    async Task<(double P50, double P99)> MeasureLatencyAsync(double rate)
    {
        var validBodies = Traffic().Where(m => m.Valid).Select(m => m.Body)
            .Take((int)Math.Max(100, rate * LatencyLoadDuration.TotalSeconds)).ToList();
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

        await _database.EnsureIsolatedAsync();
        using var host = await LoginEtlHost.CreateRunHostAsync(drain: false, configurationArgs, Overrides());
        await host.StartAsync();

        // Batches of ten on a fixed schedule: the load does not speed up when the service falls behind.
        var sends = new List<Task>();
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i += 10)
        {
            var due = TimeSpan.FromSeconds(i / rate) - Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.Zero)
                await Task.Delay(due);
            var batch = validBodies.Skip(i).Take(Math.Min(10, count - i)).Select((b, j) => new SendMessageBatchRequestEntry(j.ToString(CultureInfo.InvariantCulture), b)).ToList();
            sends.Add(_sqs.SendMessageBatchAsync(new SendMessageBatchRequest(_queueUrl, batch)));
        }

        await Task.WhenAll(sends);
        var deadline = Stopwatch.GetTimestamp() + (long)(SettleTimeout.TotalSeconds * Stopwatch.Frequency);
        while (LagCount() < count && Stopwatch.GetTimestamp() < deadline)
            await Task.Delay(50);
        await host.StopAsync();

        double[] sorted;
        lock (lags)
            sorted = [.. lags.Order()];
        if (sorted.Length < count)
            throw new StartupException($"only {sorted.Length} of {count} messages were stored within {SettleTimeout.TotalSeconds:F0} s under load");
        return (Percentile(sorted, 0.50), Percentile(sorted, 0.99));

        int LagCount()
        {
            lock (lags)
                return lags.Count;
        }
    }

    static double Percentile(double[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];

    // The process's peak resident set (VmHWM), as Linux reports it.
    static double PeakRssMegabytes()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

}
