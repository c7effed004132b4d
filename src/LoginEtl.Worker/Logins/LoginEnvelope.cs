using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LoginEtl.Worker.Logins;

/// <summary>An SNS notification's fields as the envelope holds them: those SNS signs, and the signature.</summary>
public sealed record SnsNotification(string Type, string MessageId, string TopicArn, string? Subject, string Message, string? Timestamp,
    string? SignatureVersion, string? Signature, string? SigningCertUrl)
{
    /// <summary>The text SNS signs for a notification: each signed field's name and value on lines of their own, in this order.</summary>
    public string SignedText()
    {
        var text = new StringBuilder();
        Append("Message", Message);
        Append("MessageId", MessageId);
        if (Subject is not null)
            Append("Subject", Subject);
        Append("Timestamp", Timestamp ?? "");
        Append("TopicArn", TopicArn);
        Append("Type", Type);
        return text.ToString();

        void Append(string name, string value) => text.Append(name).Append('\n').Append(value).Append('\n');
    }
}

/// <summary>What an envelope carried: the login's own JSON, when the event was published, and for SNS the notification.</summary>
public sealed record UnwrappedLogin(byte[] Utf8, DateTimeOffset? PublishedAt, SnsNotification? Notification);

/// <summary>
/// The second read of a body that <see cref="StrictJsonObject"/> found to have an envelope's keys (and to be strict
/// JSON): the SNS notification's <c>Message</c>, a string holding the login's JSON, or the EventBridge event's
/// <c>detail</c>, the login's object, with the envelope's time. Reasons name the envelope's keys, never a value.
/// </summary>
public static class LoginEnvelope
{
    static readonly string[] SnsNames =
        ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL"];

    static readonly string[] EventBridgeNames = ["detail-type", "time", "detail"];

    const int EventBridgeDetail = 2;

    static readonly byte[][] SnsNamesUtf8 = [.. SnsNames.Select(Encoding.UTF8.GetBytes)];
    static readonly byte[][] EventBridgeNamesUtf8 = [.. EventBridgeNames.Select(Encoding.UTF8.GetBytes)];

    // SNS writes milliseconds and Z, EventBridge whole seconds and Z; any ISO 8601 time with its offset is taken.
    static readonly string[] TimeFormats = ["yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz"];

    static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>The login inside a body of <paramref name="shape"/> (<see cref="BodyShapes.Sns"/> or <see cref="BodyShapes.EventBridge"/>), or the reason there is none.</summary>
    public static Rejection? Read(ReadOnlySpan<byte> utf8, BodyShapes shape, out UnwrappedLogin? unwrapped)
    {
        unwrapped = null;
        try
        {
            return shape == BodyShapes.Sns ? ReadSns(utf8, out unwrapped) : ReadEventBridge(utf8, out unwrapped);
        }
        catch (JsonException)
        {
            // The strict pass read the same bytes: only a rule this read adds could fail here.
            return Refuse($"{BodyShapesSetting.NameOf(shape)} envelope could not be read");
        }
    }

    /// <summary>An envelope's time: ISO 8601 with its offset, as UTC.</summary>
    public static bool TryParseTime(string text, out DateTimeOffset time)
    {
        var parsed = DateTimeOffset.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);
        time = time.ToUniversalTime();
        return parsed;
    }

    static Rejection? ReadSns(ReadOnlySpan<byte> utf8, out UnwrappedLogin? unwrapped)
    {
        unwrapped = null;
        var values = new string?[SnsNames.Length];
        if (ReadTopLevel(utf8, "sns", SnsNames, SnsNamesUtf8, values, objectIndex: -1, out _) is { } invalid)
            return invalid;

        var (type, messageId, topicArn, subject, message, timestamp) = (values[0], values[1], values[2], values[3], values[4], values[5]);
        if (type != "Notification")
            return Refuse(type is null ? "sns Type is missing or null" : "sns Type is not Notification");
        if (message is null)
            return Refuse("sns Message is missing or null");
        if (messageId is null)
            return Refuse("sns MessageId is missing or null");
        if (topicArn is null)
            return Refuse("sns TopicArn is missing or null");
        DateTimeOffset? published = null;
        if (timestamp is not null)
        {
            if (!TryParseTime(timestamp, out var time))
                return Refuse("sns Timestamp is not an ISO 8601 time with its offset");
            published = time;
        }

        var notification = new SnsNotification(type, messageId, topicArn, subject, message, timestamp, values[6], values[7], values[8]);
        unwrapped = new UnwrappedLogin(Encoding.UTF8.GetBytes(message), published, notification);
        return null;
    }

    static Rejection? ReadEventBridge(ReadOnlySpan<byte> utf8, out UnwrappedLogin? unwrapped)
    {
        unwrapped = null;
        var values = new string?[EventBridgeNames.Length];
        if (ReadTopLevel(utf8, "eventbridge", EventBridgeNames, EventBridgeNamesUtf8, values, EventBridgeDetail, out var detail) is { } invalid)
            return invalid;

        if (values[0] is null)
            return Refuse("eventbridge detail-type is missing or null");
        if (detail is not { } range)
            return Refuse("eventbridge detail is missing or null");
        DateTimeOffset? published = null;
        if (values[1] is { } text)
        {
            if (!TryParseTime(text, out var time))
                return Refuse("eventbridge time is not an ISO 8601 time with its offset");
            published = time;
        }

        unwrapped = new UnwrappedLogin(utf8[range].ToArray(), published, null);
        return null;
    }

    // The top-level values of the named keys: strings (null or absent as null), and at objectIndex an object, whose
    // bytes are given as a range. Every other key is skipped.
    static Rejection? ReadTopLevel(ReadOnlySpan<byte> utf8, string shape, string[] names, byte[][] namesUtf8, string?[] values, int objectIndex,
        out Range? objectValue)
    {
        objectValue = null;
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var index = IndexOf(ref reader, namesUtf8);
            reader.Read();
            if (index < 0 || reader.TokenType == JsonTokenType.Null)
            {
                reader.Skip();
            }
            else if (index == objectIndex)
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                    return Refuse($"{shape} {names[index]} is not an object");
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                objectValue = start..(int)reader.BytesConsumed;
            }
            else if (reader.TokenType != JsonTokenType.String)
            {
                return Refuse($"{shape} {names[index]} is not a string");
            }
            else
            {
                try
                {
                    values[index] = reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    // An escape of a lone surrogate (\ud800): no text to read.
                    return Refuse($"{shape} {names[index]} is not valid Unicode text");
                }
            }
        }

        return null;
    }

    static int IndexOf(ref Utf8JsonReader reader, byte[][] namesUtf8)
    {
        for (var i = 0; i < namesUtf8.Length; i++)
        {
            if (reader.ValueTextEquals(namesUtf8[i]))
                return i;
        }

        return -1;
    }

    static Rejection Refuse(string reason) => new(InvalidKinds.Envelope, reason);
}
