using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Persistence;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Sqs;

/// <summary>The URLs and settings of the main and dead-letter queues, resolved once at start.</summary>
public sealed partial class SqsQueues(IAmazonSQS sqs, IOptions<SqsOptions> options, ILogger<SqsQueues> logger) : IRedeliveryHorizon
{
    /// <summary>
    /// The least maxReceiveCount that does not park valid messages in the dead-letter queue in normal operation: one
    /// delivery, one redelivery once the in-process retries of a transient failure are spent, and three receives lost
    /// to replicas that stopped or crashed while holding the message.
    /// </summary>
    public const int SafeMaxReceiveCount = 5;

    // SQS's default retention, for a queue that reports none.
    static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(4);

    string? _queueUrl;
    string? _deadLetterQueueUrl;

    public string QueueUrl => _queueUrl ?? throw new InvalidOperationException("The queues have not been resolved");

    public string DeadLetterQueueUrl => _deadLetterQueueUrl ?? throw new InvalidOperationException("The queues have not been resolved");

    /// <summary>The main queue's visibility timeout, which the heartbeat renews for messages in flight.</summary>
    public TimeSpan VisibilityTimeout { get; private set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MessageRetention { get; private set; } = DefaultRetention;

    public TimeSpan DeadLetterRetention { get; private set; } = DefaultRetention;

    /// <summary>
    /// How long after its first send a message can still be delivered: while the queue keeps it (a redelivery), and
    /// while the dead-letter queue keeps it after that (a redrive; SQS counts a dead letter's retention from its
    /// first send, and the dead-letter sender's copies are sent while the queue still held the message).
    /// </summary>
    public TimeSpan RedeliveryHorizon => MessageRetention + DeadLetterRetention;

    /// <summary>The queues are FIFO queues: a group's messages are processed one at a time, in order (see <see cref="FifoMessages"/>).</summary>
    public bool IsFifo => FifoMessages.IsFifo(options.Value.QueueName);

    /// <summary>Resolves both queues; a missing one is a <see cref="StartupException"/> naming the setting.</summary>
    public async Task ResolveAsync(CancellationToken cancellationToken)
    {
        CheckKinds(options.Value.QueueName, options.Value.DeadLetterQueueName);
        _queueUrl = await SqsQueueUrl.ResolveAsync(sqs, options.Value.QueueName, "Sqs__QueueName", cancellationToken);
        _deadLetterQueueUrl = await SqsQueueUrl.ResolveAsync(sqs, options.Value.DeadLetterQueueName, "Sqs__DeadLetterQueueName", cancellationToken);
        var attributes = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = _queueUrl,
            AttributeNames =
            [
                QueueAttributeName.VisibilityTimeout, QueueAttributeName.MessageRetentionPeriod, QueueAttributeName.RedrivePolicy,
                QueueAttributeName.MaximumMessageSize,
            ],
        }, cancellationToken);
        // A queue that reports no timeout has SQS's default; one of 0 hands every message to the next receive at once.
        if (attributes.Attributes?.ContainsKey(QueueAttributeName.VisibilityTimeout) == true && attributes.VisibilityTimeout == 0)
        {
            throw new StartupException($"queue {options.Value.QueueName} (Sqs__QueueName) has a VisibilityTimeout of 0: every message in " +
                "flight would be handed to another receive at once; give it 30 seconds or more");
        }

        if (attributes.VisibilityTimeout is > 0)
            VisibilityTimeout = TimeSpan.FromSeconds(attributes.VisibilityTimeout);
        if (attributes.MessageRetentionPeriod is > 0)
            MessageRetention = TimeSpan.FromSeconds(attributes.MessageRetentionPeriod);
        var deadLetterAttributes = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = _deadLetterQueueUrl,
            AttributeNames = [QueueAttributeName.MessageRetentionPeriod, QueueAttributeName.MaximumMessageSize],
        }, cancellationToken);
        if (deadLetterAttributes.MessageRetentionPeriod is > 0)
            DeadLetterRetention = TimeSpan.FromSeconds(deadLetterAttributes.MessageRetentionPeriod);
        CheckDeadLetterSize(attributes.MaximumMessageSize, deadLetterAttributes.MaximumMessageSize);

        WarnAboutRedrivePolicy(attributes.Attributes?.GetValueOrDefault(QueueAttributeName.RedrivePolicy));
    }

    /// <summary>
    /// A FIFO queue's dead letters must keep their groups, which only a FIFO dead-letter queue takes, and a standard
    /// queue's messages have no group for one to take (SQS refuses the send): both queues are FIFO, or neither.
    /// </summary>
    public static void CheckKinds(string queueName, string deadLetterQueueName)
    {
        if (FifoMessages.IsFifo(queueName) == FifoMessages.IsFifo(deadLetterQueueName))
            return;
        var (fifo, standard) = FifoMessages.IsFifo(queueName)
            ? ($"{queueName} (Sqs__QueueName)", $"{deadLetterQueueName} (Sqs__DeadLetterQueueName)")
            : ($"{deadLetterQueueName} (Sqs__DeadLetterQueueName)", $"{queueName} (Sqs__QueueName)");
        throw new StartupException($"{fifo} is a FIFO queue and {standard} is a standard queue: a FIFO queue needs a FIFO dead-letter " +
            "queue and a standard queue a standard one; name both with the .fifo suffix, or neither");
    }

    // A dead letter is the message's body and its attributes with the reason's beside them: a dead-letter queue that takes
    // less than the main queue refuses the largest messages, which would then come back until SQS parks them reasonless.
    void CheckDeadLetterSize(int queueMax, int deadLetterMax)
    {
        if (queueMax > 0 && deadLetterMax > 0 && deadLetterMax < queueMax)
        {
            throw new StartupException($"dead-letter queue {options.Value.DeadLetterQueueName} (Sqs__DeadLetterQueueName) takes messages of " +
                $"at most {deadLetterMax} bytes, less than the {queueMax} of {options.Value.QueueName} (Sqs__QueueName): the largest messages " +
                $"could not be dead-lettered; give it a MaximumMessageSize of {queueMax} or more");
        }
    }

    // One line when the queue's redrive policy would park valid messages, or park them elsewhere than expected.
    void WarnAboutRedrivePolicy(string? policy)
    {
        var (queue, deadLetterQueue) = (options.Value.QueueName, options.Value.DeadLetterQueueName);
        if (string.IsNullOrEmpty(policy))
        {
            LogNoRedrivePolicy(logger, queue, MessageRetention, deadLetterQueue, SafeMaxReceiveCount);
            return;
        }

        string? target = null;
        var maxReceiveCount = 0;
        try
        {
            using var document = JsonDocument.Parse(policy);
            var root = document.RootElement;
            target = root.TryGetProperty("deadLetterTargetArn", out var arn) ? arn.GetString() : null;
            if (root.TryGetProperty("maxReceiveCount", out var count))
                _ = count.ValueKind == JsonValueKind.Number ? count.TryGetInt32(out maxReceiveCount) : int.TryParse(count.GetString(), System.Globalization.CultureInfo.InvariantCulture, out maxReceiveCount);
        }
        catch (JsonException)
        {
            // Reported below as a policy without a usable maxReceiveCount.
        }

        if (maxReceiveCount < SafeMaxReceiveCount)
            LogLowMaxReceiveCount(logger, queue, maxReceiveCount, SafeMaxReceiveCount);
        if (target is not null && target.Split(':')[^1] != deadLetterQueue)
            LogOtherDeadLetterQueue(logger, queue, target.Split(':')[^1], deadLetterQueue);
    }

    /// <summary>Messages visible, in flight and delayed, as SQS approximates them.</summary>
    public async Task<long> ApproximateDepthAsync(string queueUrl, CancellationToken cancellationToken)
    {
        var response = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = queueUrl,
            AttributeNames =
            [
                QueueAttributeName.ApproximateNumberOfMessages,
                QueueAttributeName.ApproximateNumberOfMessagesNotVisible,
                QueueAttributeName.ApproximateNumberOfMessagesDelayed,
            ],
        }, cancellationToken);

        return (long)response.ApproximateNumberOfMessages
            + response.ApproximateNumberOfMessagesNotVisible
            + response.ApproximateNumberOfMessagesDelayed;
    }

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Queue {QueueName} has no redrive policy: a message that keeps failing comes back until it expires ({Retention}); give it one to {DeadLetterQueue} with maxReceiveCount {Safe} or more")]
    static partial void LogNoRedrivePolicy(ILogger logger, string queueName, TimeSpan retention, string deadLetterQueue, int safe);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "Queue {QueueName} moves a message to its dead-letter queue after {MaxReceiveCount} receives: a transient failure (after its in-process retries) and a few replica crashes can park a valid message there; {Safe} or more is safe, and `login-etl redrive` brings parked ones back")]
    static partial void LogLowMaxReceiveCount(ILogger logger, string queueName, int maxReceiveCount, int safe);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Queue {QueueName}'s redrive policy parks messages in {Target}, not in {DeadLetterQueue} (Sqs__DeadLetterQueueName), where invalid ones go")]
    static partial void LogOtherDeadLetterQueue(ILogger logger, string queueName, string target, string deadLetterQueue);
}
