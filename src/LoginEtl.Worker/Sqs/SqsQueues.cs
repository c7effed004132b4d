using System.Text.Json;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
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

    // An endpoint of the query protocol only (LocalStack before 3.0, ElasticMQ before 1.4) answers the JSON protocol in
    // XML: an error the SDK reads from the XML but whose response says text/xml, or a success the JSON reader stops at
    // its first character. The SDK has no error of its own for this.
    static bool AnswersInXml(AmazonServiceException exception) => exception switch
    {
        AmazonUnmarshallingException { InnerException: JsonException json } => json.Message.StartsWith("'<'", StringComparison.Ordinal),
        { InnerException: HttpErrorResponseException error } => error.Response.ContentType?.Contains("xml", StringComparison.OrdinalIgnoreCase) == true,
        _ => false,
    };

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
        catch (AmazonServiceException ex) when (AnswersInXml(ex))
        {
            var endpoint = sqs.DetermineServiceOperationEndpoint(new GetQueueUrlRequest { QueueName = name }).URL.TrimEnd('/');
            throw new StartupException($"the SQS endpoint {endpoint} (Sqs__ServiceUrl / AWS_ENDPOINT_URL_SQS) answered in XML: it speaks only " +
                "the older query protocol, and AWSSDK.SQS 4 speaks the JSON protocol (use LocalStack 3.0 or later, ElasticMQ 1.4 or later, fauxqs, or AWS)");
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
