using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Persistence;

namespace LoginEtl.Worker.Sqs;

/// <summary>What SQS says of a received message in its system attributes.</summary>
public static class SqsMessages
{
    /// <summary>The system attributes a receive asks for.</summary>
    public static readonly List<string> AttributeNames =
    [
        MessageSystemAttributeName.SentTimestamp,
        MessageSystemAttributeName.ApproximateFirstReceiveTimestamp,
        MessageSystemAttributeName.ApproximateReceiveCount,
    ];

    /// <summary>
    /// When the message was sent, the same at every delivery of it: its SentTimestamp; where an emulator or a proxy
    /// drops that, its ApproximateFirstReceiveTimestamp; with neither, the start of the current UTC day (so that
    /// redeliveries on the same day share an inbox key; the receive time would make each one a new message).
    /// </summary>
    public static DateTimeOffset SentAtOf(Message message, TimeProvider? time = null) =>
        TimestampOf(message, MessageSystemAttributeName.SentTimestamp)
        ?? TimestampOf(message, MessageSystemAttributeName.ApproximateFirstReceiveTimestamp)
        ?? StartOfDay((time ?? TimeProvider.System).GetUtcNow());

    /// <summary>The message's ApproximateReceiveCount (1, if SQS did not give it).</summary>
    public static int ReceiveCountOf(Message message) =>
        message.Attributes?.GetValueOrDefault(MessageSystemAttributeName.ApproximateReceiveCount) is { } count
        && int.TryParse(count, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : 1;

    static DateTimeOffset? TimestampOf(Message message, string attribute) =>
        message.Attributes?.GetValueOrDefault(attribute) is { } value
        && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
        && ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;

    static DateTimeOffset StartOfDay(DateTimeOffset now) =>
        DateTimeOffset.UnixEpoch + InboxLayout.Bucket * InboxLayout.BucketOf(now);
}
