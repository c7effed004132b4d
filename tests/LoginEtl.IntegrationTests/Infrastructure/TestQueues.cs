using System.Globalization;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Aws;

namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>A main queue and its dead-letter queue of their own on the SQS emulator, with a redrive policy.</summary>
sealed class TestQueues : IAsyncDisposable
{
    TestQueues(IAmazonSQS sqs, string name, string url, string deadLetterName, string deadLetterUrl)
    {
        Sqs = sqs;
        Name = name;
        Url = url;
        DeadLetterName = deadLetterName;
        DeadLetterUrl = deadLetterUrl;
    }

    public IAmazonSQS Sqs { get; }
    public string Name { get; }
    public string Url { get; }
    public string DeadLetterName { get; }
    public string DeadLetterUrl { get; }

    public static IAmazonSQS CreateClient() => new AmazonSQSClient(
        new BasicAWSCredentials("test", "test"),
        new AmazonSQSConfig { ServiceURL = TestServices.SqsServiceUrl, AuthenticationRegion = "us-east-1" });

    /// <summary>A queue pair of its own; with <paramref name="fifo"/>, FIFO queues (<c>.fifo</c>) both.</summary>
    public static async Task<TestQueues> CreateAsync(int maxReceiveCount = 5, int visibilityTimeoutSeconds = 30, int? retentionSeconds = null,
        bool fifo = false)
    {
        var sqs = CreateClient();
        var name = $"logins-{Guid.NewGuid():N}";
        var deadLetterName = name + "-dlq";
        if (fifo)
            (name, deadLetterName) = (name + ".fifo", deadLetterName + ".fifo");

        var (url, deadLetterUrl) = await SqsQueuePair.CreateAsync(sqs, name, deadLetterName, maxReceiveCount,
            TimeSpan.FromSeconds(visibilityTimeoutSeconds), retentionSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
        return new TestQueues(sqs, name, url, deadLetterName, deadLetterUrl);
    }

    /// <summary>
    /// Sends each body as one message, <paramref name="perRequest"/> to a SendMessageBatch call (fewer for large
    /// bodies: a call carries at most 1 MiB); returns the SQS message ids in order.
    /// </summary>
    public async Task<List<string>> SendAsync(IEnumerable<string> bodies, int perRequest = 10)
    {
        var ids = new List<string>();
        foreach (var chunk in bodies.Chunk(perRequest))
        {
            var response = await Sqs.SendMessageBatchAsync(new SendMessageBatchRequest
            {
                QueueUrl = Url,
                Entries = chunk.Select((body, i) => new SendMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), body)).ToList(),
            });
            Assert.Empty(response.Failed ?? []);
            ids.AddRange(response.Successful.OrderBy(s => int.Parse(s.Id, CultureInfo.InvariantCulture)).Select(s => s.MessageId));
        }

        return ids;
    }

    /// <summary>
    /// Sends each body to the FIFO queue in its group, in order, one request at a time, each with a deduplication id
    /// of its own; returns the SQS message ids in order.
    /// </summary>
    public async Task<List<string>> SendAsync(IEnumerable<(string Body, string Group)> messages)
    {
        var ids = new List<string>();
        foreach (var chunk in messages.Chunk(10))
        {
            var response = await Sqs.SendMessageBatchAsync(new SendMessageBatchRequest
            {
                QueueUrl = Url,
                Entries = chunk.Select((m, i) => new SendMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.Body)
                {
                    MessageGroupId = m.Group,
                    MessageDeduplicationId = Guid.NewGuid().ToString("N"),
                }).ToList(),
            });
            Assert.Empty(response.Failed ?? []);
            ids.AddRange(response.Successful.OrderBy(s => int.Parse(s.Id, CultureInfo.InvariantCulture)).Select(s => s.MessageId));
        }

        return ids;
    }

    /// <summary>Visible + in flight + delayed messages of a queue.</summary>
    public async Task<long> DepthAsync(string url)
    {
        var attributes = await Sqs.GetQueueAttributesAsync(url,
            ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]);
        return (long)attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible
            + attributes.ApproximateNumberOfMessagesDelayed;
    }

    /// <summary>Takes every message off the dead-letter queue, with its attributes and its receive count.</summary>
    public async Task<List<Message>> DrainDeadLettersAsync()
    {
        var messages = new List<Message>();
        while (true)
        {
            var response = await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = DeadLetterUrl,
                MaxNumberOfMessages = 10,
                WaitTimeSeconds = 0,
                MessageAttributeNames = ["All"],
                MessageSystemAttributeNames = [MessageSystemAttributeName.ApproximateReceiveCount],
                VisibilityTimeout = 60,
            });
            if (response.Messages is not { Count: > 0 } batch)
                return messages;
            messages.AddRange(batch);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DeleteIfPresentAsync(Url);
        await DeleteIfPresentAsync(DeadLetterUrl);
        Sqs.Dispose();
    }

    // A test may have deleted (and recreated) a queue itself; clean-up only makes sure it is gone.
    async Task DeleteIfPresentAsync(string url)
    {
        try
        {
            await Sqs.DeleteQueueAsync(url);
        }
        catch (QueueDoesNotExistException)
        {
        }
    }
}
