using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Aws;

namespace LoginEtl.Bench;

/// <summary>
/// The SQS ceiling: the service's number of pollers receiving (10 at a time) and deleting with no processing, on a
/// full queue: what the queue can hand out to one process. It runs in a process of its own, as the etl does, warmed
/// up on as many messages as the etl, so that its CPU per message is that loop's alone: not the producer's, not the
/// latency proxy's, not the benchmark's.
/// </summary>
static class CeilingPhase
{
    public const string CommandName = "ceiling-process";

    public static async Task<(double Rate, double CpuMicroseconds)> MeasureAsync(BenchEnvironment bench, string when)
    {
        var warmUp = EtlPhase.WarmUpCount(bench);
        bench.Report($"ceiling ({when}): sending {warmUp} messages to warm up on");
        await bench.SendAsync(bench.QueueUrl, bench.Traffic().Take(warmUp).Select(m => m.Body));
        bench.Report($"ceiling ({when}): {bench.SqsOptions.Pollers} pollers receiving and deleting in a process of their own, no processing");
        var report = Path.Combine(Path.GetTempPath(), $"loginetl-bench-ceiling-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
        // Under `dotnet login-etl-bench.dll` the process is dotnet, and the assembly comes first.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            start.ArgumentList.Add(typeof(CeilingPhase).Assembly.Location);
        foreach (var argument in (string[])[CommandName, bench.ServiceUrlForProcesses ?? "", bench.QueueUrl,
                     bench.SqsOptions.Pollers.ToString(CultureInfo.InvariantCulture), warmUp.ToString(CultureInfo.InvariantCulture),
                     bench.MessageCount.ToString(CultureInfo.InvariantCulture), report])
            start.ArgumentList.Add(argument);
        // The collector's settings of a replica, as the etl process has them: the two processes compare like for like.
        foreach (var (name, value) in EtlProcess.ImageGcSettings)
            start.Environment.TryAdd(name, value);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await using (bench.Progress(() => $"ceiling ({when}): process {process.Id} receiving and deleting"))
            await process.WaitForExitAsync();
        try
        {
            if (process.ExitCode != 0 || !File.Exists(report))
                throw new StartupException($"the ceiling process exited with {process.ExitCode}: {await error}");
            var measured = JsonSerializer.Deserialize<double[]>(await File.ReadAllTextAsync(report))!;
            bench.Report($"ceiling ({when}): {measured[0]:F0} messages/s, {measured[1]:F0} us of CPU each");
            return (measured[0], measured[1]);
        }
        finally
        {
            File.Delete(report);
        }
    }

    /// <summary>The ceiling's own process: receives and deletes warm-up + measured messages, writes [rate, CPU us a message].</summary>
    public static Command Command()
    {
        Argument<string> serviceUrl = new("SERVICE_URL"), queueUrl = new("QUEUE_URL"), report = new("REPORT");
        Argument<int> pollers = new("POLLERS"), warmUp = new("WARM_UP"), messages = new("MESSAGES");
        var command = new Command(CommandName, "The SQS ceiling of bench, in a process of its own.")
        {
            Hidden = true,
            Arguments = { serviceUrl, queueUrl, pollers, warmUp, messages, report },
        };
        command.SetAction(async parsed =>
        {
            using var sqs = SqsClientFactory.Create(parsed.GetValue(serviceUrl) is { Length: > 0 } url ? url : null);
            var (rate, cpu) = await ReceiveAndDeleteAsync(sqs, parsed.GetValue(queueUrl)!, parsed.GetValue(pollers), parsed.GetValue(warmUp),
                parsed.GetValue(messages));
            await File.WriteAllTextAsync(parsed.GetValue(report)!, JsonSerializer.Serialize(new[] { rate, cpu }));
            return 0;
        });
        return command;
    }

    // Timed like the etl: from the end of the warm-up to the last settled batch.
    static async Task<(double Rate, double CpuMicroseconds)> ReceiveAndDeleteAsync(IAmazonSQS sqs, string queueUrl, int pollers, int warmUp, int measured)
    {
        var expected = warmUp + measured;
        var received = 0L;
        var markAt = 0L;
        var markCpu = TimeSpan.Zero;
        var markReceived = 0L;
        var lastDeleted = 0L;
        var gate = new Lock();
        await Task.WhenAll(Enumerable.Range(0, pollers).Select(async _ =>
        {
            while (Interlocked.Read(ref received) < expected)
            {
                var response = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
                {
                    QueueUrl = queueUrl,
                    MaxNumberOfMessages = 10,
                    WaitTimeSeconds = 1,
                    MessageSystemAttributeNames = [MessageSystemAttributeName.SentTimestamp, MessageSystemAttributeName.ApproximateReceiveCount],
                    MessageAttributeNames = ["All"],
                });
                if (response.Messages is not { Count: > 0 } messages)
                    continue;

                await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
                {
                    QueueUrl = queueUrl,
                    Entries = messages.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList(),
                });
                var now = Interlocked.Add(ref received, messages.Count);
                Interlocked.Exchange(ref lastDeleted, Stopwatch.GetTimestamp());
                if (now >= warmUp && Interlocked.Read(ref markAt) == 0)
                {
                    lock (gate)
                    {
                        if (markAt == 0)
                            (markAt, markCpu, markReceived) = (Stopwatch.GetTimestamp(), Process.GetCurrentProcess().TotalProcessorTime, now);
                    }
                }
            }
        }));

        var cpu = Process.GetCurrentProcess().TotalProcessorTime - markCpu;
        var count = Interlocked.Read(ref received) - markReceived;
        return (count / Stopwatch.GetElapsedTime(markAt, lastDeleted).TotalSeconds, cpu.TotalMicroseconds / count);
    }
}
