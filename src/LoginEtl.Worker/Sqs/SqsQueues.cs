using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Sqs;

/// <summary>The URLs of the main and dead-letter queues, resolved once at start.</summary>
public sealed class SqsQueues(IAmazonSQS sqs, IOptions<SqsOptions> options)
{
    string? _queueUrl;
    string? _deadLetterQueueUrl;

    public string QueueUrl => _queueUrl ?? throw new InvalidOperationException("The queues have not been resolved");

    public string DeadLetterQueueUrl => _deadLetterQueueUrl ?? throw new InvalidOperationException("The queues have not been resolved");

    /// <summary>The main queue's visibility timeout, which the heartbeat renews for messages in flight.</summary>
    public TimeSpan VisibilityTimeout { get; private set; } = TimeSpan.FromSeconds(30);

    /// <summary>Resolves both queues; a missing one is a <see cref="StartupException"/> naming the setting.</summary>
    public async Task ResolveAsync(CancellationToken cancellationToken)
    {
        _queueUrl = await ResolveUrlAsync(sqs, options.Value.QueueName, "Sqs__QueueName", cancellationToken);
        _deadLetterQueueUrl = await ResolveUrlAsync(sqs, options.Value.DeadLetterQueueName, "Sqs__DeadLetterQueueName", cancellationToken);
        var attributes = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = _queueUrl,
            AttributeNames = [QueueAttributeName.VisibilityTimeout],
        }, cancellationToken);
        if (attributes.VisibilityTimeout is > 0)
            VisibilityTimeout = TimeSpan.FromSeconds(attributes.VisibilityTimeout);
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

    /// <summary>The URL of queue <paramref name="name"/>; a missing queue is a <see cref="StartupException"/> naming <paramref name="setting"/>.</summary>
    public static async Task<string> ResolveUrlAsync(IAmazonSQS sqs, string name, string setting, CancellationToken cancellationToken)
    {
        try
        {
            var response = await sqs.GetQueueUrlAsync(new GetQueueUrlRequest { QueueName = name }, cancellationToken);
            return response.QueueUrl;
        }
        catch (QueueDoesNotExistException)
        {
            throw new StartupException($"SQS queue '{name}' does not exist ({setting})");
        }
        catch (AmazonSQSException ex)
        {
            throw new StartupException($"SQS refused to resolve queue '{name}' ({setting}): {ex.Message}");
        }
        catch (HttpRequestException ex)
        {
            throw new StartupException($"SQS is unreachable while resolving queue '{name}' (Sqs__ServiceUrl / AWS_ENDPOINT_URL_SQS): {ex.Message}");
        }
    }
}
