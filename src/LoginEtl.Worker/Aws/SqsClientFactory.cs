using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.SQS;

namespace LoginEtl.Worker.Aws;

static class SqsClientFactory
{
    /// <summary>
    /// A client for <paramref name="serviceUrl"/> (<c>Sqs__ServiceUrl</c>) when it is set; otherwise the SDK's own resolution
    /// of region, endpoint (AWS_ENDPOINT_URL_SQS) and credentials. No credentials anywhere in the SDK's chain
    /// is a <see cref="StartupException"/>.
    /// </summary>
    public static IAmazonSQS Create(string? serviceUrl)
    {
        var config = new AmazonSQSConfig();
        if (!string.IsNullOrEmpty(serviceUrl))
        {
            config.ServiceURL = serviceUrl;
            config.AuthenticationRegion = Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1";
        }

        return new AmazonSQSClient(ResolveCredentials(config), config);
    }

    // The SDK's credential chain, walked once. A client left to walk it itself reads the environment again on
    // every call, to notice a change that cannot happen: a process's environment is fixed once it runs. Keys
    // from the environment are therefore taken as they are; any other source is kept as the object the chain
    // returned (temporary credentials from a web identity, the container or the instance renew themselves).
    static AWSCredentials ResolveCredentials(AmazonSQSConfig config)
    {
        AWSCredentials credentials;
        try
        {
            credentials = DefaultAWSCredentialsIdentityResolver.GetCredentials(config);
        }
        catch (AmazonClientException ex)
        {
            throw new StartupException($"no AWS credentials for SQS (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a web identity, a profile or an instance role): {ex.Message}", ex);
        }

        if (credentials is not EnvironmentVariablesAWSCredentials)
            return credentials;

        var keys = credentials.GetCredentials();
        return keys.UseToken
            ? new SessionAWSCredentials(keys.AccessKey, keys.SecretKey, keys.Token)
            : new BasicAWSCredentials(keys.AccessKey, keys.SecretKey);
    }
}
