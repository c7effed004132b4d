using System.Net.Sockets;
using Amazon.Runtime;

namespace LoginEtl.Worker.Aws;

static class SqsFailures
{
    /// <summary>A failure to reach SQS or of SQS itself: retried later, never fatal to a poller.</summary>
    public static bool IsTransient(Exception exception) => exception is AmazonServiceException or AmazonClientException
        or HttpRequestException or IOException or SocketException or TimeoutException
        or TaskCanceledException { InnerException: TimeoutException };
}
