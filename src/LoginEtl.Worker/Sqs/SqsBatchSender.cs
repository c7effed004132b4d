using System.Globalization;
using System.Text;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// Sends bodies to a queue with SendMessageBatch: at most ten messages and 256 KiB of bodies a request,
/// several requests in flight. Used by <c>produce</c> and <c>bench</c>.
/// </summary>
public static class SqsBatchSender
{
    public const int MaxBodyBytes = 256 * 1024;
    const int MaxBatchEntries = 10;

    public sealed record Result(long Sent, long Failed);

    /// <summary>
    /// Sends every message; a message SQS refuses is reported on <paramref name="errors"/> by its id. <paramref name="sent"/>
    /// hears how many were sent so far after each request. To a FIFO queue, each message goes in its group
    /// (<c>default</c> without one), with a deduplication id of its own, one request at a time so that each group's
    /// messages arrive in the order given; to a standard queue the group is ignored.
    /// </summary>
    public static async Task<Result> SendAsync(IAmazonSQS sqs, string queueUrl, IAsyncEnumerable<(long Id, string Body, string? Group)> messages,
        int concurrency, TextWriter errors, Action<long>? sent = null, CancellationToken cancellationToken = default)
    {
        var fifo = FifoMessages.IsFifo(queueUrl);
        if (fifo)
            concurrency = 1;

        long sentSoFar = 0, failed = 0;
        var inFlight = new List<Task<(int Sent, int Failed)>>(concurrency);
        await foreach (var batch in BatchAsync(messages).WithCancellation(cancellationToken))
        {
            inFlight.Add(SendBatchAsync(sqs, queueUrl, batch, fifo, errors, cancellationToken));
            if (inFlight.Count >= concurrency)
            {
                var done = await Task.WhenAny(inFlight);
                inFlight.Remove(done);
                Count(await done);
            }
        }

        foreach (var task in inFlight)
            Count(await task);
        return new Result(sentSoFar, failed);

        void Count((int Sent, int Failed) result)
        {
            sentSoFar += result.Sent;
            failed += result.Failed;
            sent?.Invoke(sentSoFar);
        }
    }

    static async IAsyncEnumerable<List<(long Id, string Body, string? Group)>> BatchAsync(IAsyncEnumerable<(long Id, string Body, string? Group)> messages)
    {
        var batch = new List<(long, string, string?)>(MaxBatchEntries);
        var batchBytes = 0;
        await foreach (var (id, body, group) in messages)
        {
            var bytes = Encoding.UTF8.GetByteCount(body);
            if (batch.Count == MaxBatchEntries || batchBytes + bytes > MaxBodyBytes)
            {
                yield return batch;
                batch = new List<(long, string, string?)>(MaxBatchEntries);
                batchBytes = 0;
            }

            batch.Add((id, body, group));
            batchBytes += bytes;
        }

        if (batch.Count > 0)
            yield return batch;
    }

    static async Task<(int Sent, int Failed)> SendBatchAsync(IAmazonSQS sqs, string queueUrl, List<(long Id, string Body, string? Group)> batch,
        bool fifo, TextWriter errors, CancellationToken cancellationToken)
    {
        var response = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest
        {
            QueueUrl = queueUrl,
            Entries = batch.Select(m => new SendMessageBatchRequestEntry
            {
                Id = m.Id.ToString(CultureInfo.InvariantCulture),
                MessageBody = m.Body,
                MessageGroupId = fifo ? m.Group ?? "default" : null,
                MessageDeduplicationId = fifo ? Guid.NewGuid().ToString("N") : null,
            }).ToList(),
        }, cancellationToken);

        var failed = response.Failed ?? [];
        foreach (var entry in failed)
            await errors.WriteLineAsync($"line {entry.Id}: not sent ({entry.Code}: {entry.Message})");

        return (response.Successful?.Count ?? 0, failed.Count);
    }
}
