using System.Globalization;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace LoginEtl.Worker.Aws;

/// <summary>
/// A queue and its dead-letter queue, created together with the redrive policy that joins them: the layout the
/// service expects, made by the bench and by the tests.
/// </summary>
static class SqsQueuePair
{
    /// <summary>
    /// Creates <paramref name="deadLetterName"/>, then <paramref name="name"/> with a redrive policy to it after
    /// <paramref name="maxReceiveCount"/> receives; <paramref name="retention"/>, when given, applies to both.
    /// Returns both URLs.
    /// </summary>
    public static async Task<(string QueueUrl, string DeadLetterUrl)> CreateAsync(
        IAmazonSQS sqs, string name, string deadLetterName, int maxReceiveCount,
        TimeSpan? visibilityTimeout = null, TimeSpan? retention = null, CancellationToken cancellationToken = default)
    {
        var shared = new Dictionary<string, string>();
        // A FIFO queue is made one with its name and this attribute; its dead-letter queue must be one too.
        if (name.EndsWith(".fifo", StringComparison.Ordinal))
            shared[QueueAttributeName.FifoQueue] = "true";
        if (retention is { } period)
            shared[QueueAttributeName.MessageRetentionPeriod] = Seconds(period);

        var deadLetterUrl = (await sqs.CreateQueueAsync(
            new CreateQueueRequest { QueueName = deadLetterName, Attributes = new(shared) }, cancellationToken)).QueueUrl;
        var deadLetterArn = (await sqs.GetQueueAttributesAsync(deadLetterUrl, [QueueAttributeName.QueueArn], cancellationToken)).QueueARN;

        var attributes = new Dictionary<string, string>(shared)
        {
            [QueueAttributeName.RedrivePolicy] = JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["deadLetterTargetArn"] = deadLetterArn,
                ["maxReceiveCount"] = maxReceiveCount.ToString(CultureInfo.InvariantCulture),
            }),
        };
        if (visibilityTimeout is { } timeout)
            attributes[QueueAttributeName.VisibilityTimeout] = Seconds(timeout);
        var queueUrl = (await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = attributes }, cancellationToken)).QueueUrl;
        return (queueUrl, deadLetterUrl);
    }

    static string Seconds(TimeSpan span) => ((long)span.TotalSeconds).ToString(CultureInfo.InvariantCulture);
}
