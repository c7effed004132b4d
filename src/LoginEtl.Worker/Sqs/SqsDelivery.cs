using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Persistence;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// What SQS says about one delivery, handed to the consumer as a payload of the receive context: this delivery's
/// own id and send time, the message's identity for life (the id and send time of its first delivery, carried across
/// the dead-letter queue and back by a verified <c>loginetl.identity</c> attribute), and the receive count.
/// </summary>
public sealed record SqsDelivery(string MessageId, DateTimeOffset SentAt, InboxKey Identity, int ReceiveCount)
{
    /// <summary>Why the consumer refused the message, when it did: the endpoint dead-letters it.</summary>
    public DeadLetterReason? Rejection { get; private set; }

    /// <summary>
    /// Refuses the message without failing the receive pipeline: an invalid event is an expected outcome,
    /// not an error to record, retry and unwind through every filter.
    /// </summary>
    public void Reject(DeadLetterReason reason) => Rejection = reason;

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
