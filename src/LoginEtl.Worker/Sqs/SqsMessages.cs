using System.Diagnostics;
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
        MessageSystemAttributeName.AWSTraceHeader,
        MessageSystemAttributeName.MessageGroupId,
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

    /// <summary>
    /// The producer's trace context, when the message carries one: a W3C <c>traceparent</c> message attribute (with
    /// <c>tracestate</c>), or the <c>AWSTraceHeader</c> system attribute that X-Ray-traced producers set
    /// (<c>Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1</c>). Null for anything else.
    /// </summary>
    public static ActivityContext? ProducerContextOf(Message message)
    {
        if (message.MessageAttributes?.GetValueOrDefault("traceparent")?.StringValue is { } traceparent
            && ActivityContext.TryParse(traceparent, message.MessageAttributes.GetValueOrDefault("tracestate")?.StringValue, isRemote: true, out var context))
            return context;
        return message.Attributes?.GetValueOrDefault(MessageSystemAttributeName.AWSTraceHeader) is { } header ? FromXRay(header) : null;
    }

    // Root=1-{8 hex: epoch seconds}-{24 hex};Parent={16 hex};Sampled={0|1}: the trace id is the 32 hex digits together.
    static ActivityContext? FromXRay(string header)
    {
        string? root = null, parent = null;
        var sampled = false;
        foreach (var part in header.Split(';', StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("Root=", StringComparison.Ordinal))
                root = part[5..];
            else if (part.StartsWith("Parent=", StringComparison.Ordinal))
                parent = part[7..];
            else if (part == "Sampled=1")
                sampled = true;
        }

        if (root is not { Length: 35 } || !root.StartsWith("1-", StringComparison.Ordinal) || root[10] != '-' || parent is not { Length: 16 })
            return null;
        var traceId = string.Concat(root.AsSpan(2, 8), root.AsSpan(11, 24));
        if (!IsHex(traceId) || !IsHex(parent) || traceId.All(c => c == '0') || parent.All(c => c == '0'))
            return null;
        return new ActivityContext(ActivityTraceId.CreateFromString(traceId), ActivitySpanId.CreateFromString(parent),
            sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, isRemote: true);
    }

    static bool IsHex(string text) => text.All(char.IsAsciiHexDigitLower);

    static DateTimeOffset? TimestampOf(Message message, string attribute) =>
        message.Attributes?.GetValueOrDefault(attribute) is { } value
        && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
        && ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;

    static DateTimeOffset StartOfDay(DateTimeOffset now) =>
        DateTimeOffset.UnixEpoch + InboxLayout.Bucket * InboxLayout.BucketOf(now);
}
