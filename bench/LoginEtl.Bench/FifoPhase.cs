using System.Text.Json.Serialization;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Bench;

/// <summary>
/// The etl on a FIFO queue, once for each number of groups asked for (<c>--fifo-groups</c>): the same traffic, message
/// i in group i mod N, drained by the etl process as the standard queue is. SQS hands out none of a group's messages
/// while an earlier one is in flight, so with one group every receive waits for the one before it to be settled: a
/// round trip to the database and two to SQS a batch.
/// </summary>
static class FifoPhase
{
    const int WarmUpMessages = 1_000;

    public static async Task<List<FifoResult>> MeasureAsync(BenchEnvironment bench, IReadOnlyList<int> groupCounts)
    {
        var results = new List<FifoResult>();
        foreach (var groups in groupCounts)
        {
            var name = $"{bench.QueueName}-g{groups}{FifoMessages.Suffix}";
            var (queueUrl, deadLetterUrl) = await bench.CreateQueuesAsync(name);
            try
            {
                var warmUp = Math.Min(bench.MessageCount, WarmUpMessages);
                bench.Report($"fifo, {groups} group(s): sending {warmUp} messages to warm up on and {bench.MessageCount} to measure");
                await bench.SendAsync(queueUrl, bench.Traffic().Take(warmUp).Concat(bench.Traffic()).Select(m => m.Body), groups);
                var report = await EtlProcess.RunAsync(bench, warmUp, name);
                var cpu = report.CpuSeconds * 1e6 / report.Received;
                bench.Report($"fifo, {groups} group(s): {report.Rate:F0} messages/s, {cpu:F0} us of CPU each");
                results.Add(new FifoResult(groups, Math.Round(report.Rate), Math.Round(cpu, 1)));
            }
            finally
            {
                await bench.DeleteQueuesAsync(queueUrl, deadLetterUrl);
            }
        }

        return results;
    }
}

/// <summary>The etl on a FIFO queue whose messages are spread over <see cref="Groups"/> message groups.</summary>
public sealed record FifoResult(
    [property: JsonPropertyName("groups")] int Groups,
    [property: JsonPropertyName("etl_msgs_per_s")] double EtlMessagesPerSecond,
    [property: JsonPropertyName("etl_cpu_us_per_msg")] double EtlCpuMicroseconds);
