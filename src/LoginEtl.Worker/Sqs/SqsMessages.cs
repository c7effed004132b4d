using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace LoginEtl.Worker.Sqs;

/// <summary>What SQS says of a received message in its system attributes.</summary>
public static class SqsMessages
{
    /// <summary>The message's SentTimestamp (now, if SQS did not give it).</summary>
    public static DateTimeOffset SentAtOf(Message message) =>
        message.Attributes?.GetValueOrDefault(MessageSystemAttributeName.SentTimestamp) is { } sent
        && long.TryParse(sent, CultureInfo.InvariantCulture, out var sentMs)
            ? DateTimeOffset.FromUnixTimeMilliseconds(sentMs)
            : DateTimeOffset.UtcNow;

    /// <summary>The message's ApproximateReceiveCount (1, if SQS did not give it).</summary>
    public static int ReceiveCountOf(Message message) =>
        message.Attributes?.GetValueOrDefault(MessageSystemAttributeName.ApproximateReceiveCount) is { } count
        && int.TryParse(count, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : 1;
}
