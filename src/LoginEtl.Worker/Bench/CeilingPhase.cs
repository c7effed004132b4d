using System.Diagnostics;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace LoginEtl.Worker.Bench;

/// <summary>
/// The SQS ceiling: the service's number of pollers receiving (10 at a time) and deleting with no processing, on a
/// full queue: what the queue can hand out to this process.
/// </summary>
static class CeilingPhase
{
    public static async Task<(double Rate, double CpuMicroseconds)> MeasureAsync(BenchEnvironment bench, string when)
    {
        bench.Report($"ceiling ({when}): {bench.SqsOptions.Pollers} pollers receiving and deleting, no processing");
        var ceiling = await ProcessUsage.MeasureAsync(bench.MessageCount, () => ReceiveAndDeleteAsync(bench, bench.MessageCount));
        bench.Report($"ceiling ({when}): {ceiling.Rate:F0} messages/s, {ceiling.CpuMicroseconds:F0} us of CPU each");
        return ceiling;
    }

    // Timed like the ETL's summary: from the first receive that brought messages to the last settled batch.
    static async Task<double> ReceiveAndDeleteAsync(BenchEnvironment bench, int expected)
    {
        var (sqs, queueUrl) = (bench.Sqs, bench.QueueUrl);
        var received = 0L;
        var firstReceived = 0L;
        var lastDeleted = 0L;
        await using (bench.Progress(() => $"ceiling: {Interlocked.Read(ref received)} of {expected} received and deleted"))
        {
            await Task.WhenAll(Enumerable.Range(0, bench.SqsOptions.Pollers).Select(async _ =>
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

                    Interlocked.CompareExchange(ref firstReceived, Stopwatch.GetTimestamp(), 0);
                    await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
                    {
                        QueueUrl = queueUrl,
                        Entries = messages.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList(),
                    });
                    Interlocked.Add(ref received, messages.Count);
                    Interlocked.Exchange(ref lastDeleted, Stopwatch.GetTimestamp());
                }
            }));
        }

        return expected / Stopwatch.GetElapsedTime(firstReceived, lastDeleted).TotalSeconds;
    }
}
