using Amazon.SQS;

namespace LoginEtl.Worker.Sqs;

static class SqsClientFactory
{
    /// <summary>
    /// A client for <see cref="SqsOptions.ServiceUrl"/> when it is set; otherwise the SDK's own resolution
    /// of region, endpoint (AWS_ENDPOINT_URL_SQS) and credentials.
    /// </summary>
    public static IAmazonSQS Create(SqsOptions options)
    {
        var config = new AmazonSQSConfig();
        if (!string.IsNullOrEmpty(options.ServiceUrl))
        {
            config.ServiceURL = options.ServiceUrl;
            config.AuthenticationRegion = Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1";
        }

        return new AmazonSQSClient(config);
    }
}
