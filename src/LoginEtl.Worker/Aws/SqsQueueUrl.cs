using System.Text.Json;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace LoginEtl.Worker.Aws;

/// <summary>Queue URLs, resolved by name; every way that can fail is a <see cref="StartupException"/> of one line.</summary>
public static class SqsQueueUrl
{
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
    public static async Task<string> ResolveAsync(IAmazonSQS sqs, string name, string setting, CancellationToken cancellationToken)
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
