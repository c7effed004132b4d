using System.Text;
using System.Text.Json;
using LoginEtl.Worker.Contracts;

namespace LoginEtl.Worker.Logins;

/// <summary>
/// One pass of <see cref="Utf8JsonReader"/> over a body before MassTransit deserializes it: the body must be a
/// JSON object with no property twice in any object, no comment and no trailing comma. MassTransit's JSON
/// options accept all three (the last of two values wins, comments are skipped), so the same body could read
/// one way here and another way to a stricter consumer of the queue. Reasons give the line and byte; they
/// name a property only when it is one of the event's own fields, never a producer's key, never a value.
/// The same pass reads the event's fields (<see cref="Read(ReadOnlySpan{byte}, out LoginEvent?, out BodyShapes)"/>) and
/// notes whether the top-level object has the keys of an SNS or EventBridge envelope, so that a plain body pays no second
/// pass. It never throws: any bytes end as an event or a reason.
/// </summary>
public static class StrictJsonObject
{
    const int MaxDepth = 64;

    // The reader lets comments and trailing commas through so that they can be reported as what they are;
    // this pass refuses them. Its depth limit is the deserializer's.
    static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Allow,
        AllowTrailingCommas = true,
        MaxDepth = MaxDepth,
    };

    static readonly Rejection NotAnObject = new(InvalidKinds.NotAnObject, "body is not a JSON object");

    // The event's fields, by the bit that marks them seen in the top-level object.
    static readonly IReadOnlyList<string> Fields = LoginFields.Names;
    static readonly byte[][] FieldsUtf8 = [.. Fields.Select(Encoding.UTF8.GetBytes)];

    // The top-level keys that mark an envelope, by the bit that marks them seen: an SNS notification has the first
    // three, an EventBridge event the last two.
    static readonly byte[][] MarkersUtf8 = [.. new[] { "Type", "Message", "TopicArn", "detail-type", "detail" }.Select(Encoding.UTF8.GetBytes)];
    const int SnsMarkers = 0b00111;
    const int EventBridgeMarkers = 0b11000;

    /// <summary>The reason <paramref name="utf8"/> is not a strict JSON object; null when it is one.</summary>
    public static Rejection? Check(ReadOnlySpan<byte> utf8) => Read(utf8, out _);

    /// <summary>
    /// The event's fields as <paramref name="utf8"/> holds them (a missing one is null), or the reason it is not a
    /// strict JSON object whose fields are strings or null.
    /// </summary>
    public static Rejection? Read(ReadOnlySpan<byte> utf8, out LoginEvent? login) => Read(utf8, out login, out _);

    /// <summary>
    /// As <see cref="Read(ReadOnlySpan{byte}, out LoginEvent?)"/>, with the envelopes whose keys the top-level object
    /// has (<see cref="BodyShapes.Plain"/> when none; both envelopes when it has the keys of both).
    /// </summary>
    public static Rejection? Read(ReadOnlySpan<byte> utf8, out LoginEvent? login, out BodyShapes shape)
    {
        login = null;
        shape = BodyShapes.Plain;
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        try
        {
            if (!reader.Read())
                return NotAnObject;
            if (reader.TokenType == JsonTokenType.Comment)
                return Refuse(InvalidKinds.Comment, "body has a comment", utf8, reader.TokenStartIndex);
            if (reader.TokenType != JsonTokenType.StartObject)
                return NotAnObject;
        }
        catch (JsonException)
        {
            // Not even a first token: plain text, not JSON at all.
            return NotAnObject;
        }

        var values = new string?[Fields.Count];
        var markers = 0;
        try
        {
            if (CheckObject(ref reader, utf8, values, ref markers) is { } rejection)
                return rejection;
        }
        catch (JsonException ex)
        {
            return Rejection.FromJson(ex);
        }
        catch (InvalidOperationException)
        {
            // A name or value whose escapes make no Unicode text (a lone surrogate, \ud800): it cannot be compared or read.
            return Refuse(InvalidKinds.InvalidText, "a property name or value is not valid Unicode text", utf8, reader.TokenStartIndex);
        }

        login = new LoginEvent
        {
            UserId = values[0], DeviceType = values[1], Ip = values[2], DeviceId = values[3], Locale = values[4], AppVersion = values[5],
        };
        if ((markers & SnsMarkers) == SnsMarkers)
            shape = BodyShapes.Sns;
        if ((markers & EventBridgeMarkers) == EventBridgeMarkers)
            shape = shape == BodyShapes.Sns ? BodyShapes.Sns | BodyShapes.EventBridge : BodyShapes.EventBridge;
        return null;
    }

    static Rejection? CheckObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8, string?[] values, ref int markers)
    {
        var fieldsSeen = 0;
        HashSet<string>?[]? names = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.Comment:
                    return Refuse(InvalidKinds.Comment, "body has a comment", utf8, reader.TokenStartIndex);

                case JsonTokenType.EndObject or JsonTokenType.EndArray when TrailingComma(utf8, (int)reader.TokenStartIndex) is { } comma:
                    return Refuse(InvalidKinds.TrailingComma, "body has a comma before a closing bracket", utf8, comma);

                case JsonTokenType.StartObject when names is not null && reader.CurrentDepth + 1 < names.Length:
                    // A new object: the names of an earlier object at the same depth are no concern of its own.
                    names[reader.CurrentDepth + 1]?.Clear();
                    break;

                case JsonTokenType.PropertyName:
                    var depth = reader.CurrentDepth;
                    var field = depth == 1 ? Field(ref reader) : -1;
                    if (field >= 0)
                    {
                        if ((fieldsSeen & (1 << field)) != 0)
                            return Refuse(InvalidKinds.DuplicateProperty, $"{Fields[field]} appears twice", utf8, reader.TokenStartIndex);
                        fieldsSeen |= 1 << field;
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.Comment)
                            return Refuse(InvalidKinds.Comment, "body has a comment", utf8, reader.TokenStartIndex);
                        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
                            return Refuse(InvalidKinds.WrongType, $"{Fields[field]} is not a string or null", utf8, reader.TokenStartIndex);
                        try
                        {
                            values[field] = reader.GetString();
                        }
                        catch (InvalidOperationException)
                        {
                            // An escape of a lone surrogate (\ud800): no text to read.
                            return Refuse(InvalidKinds.InvalidText, $"{Fields[field]} contains an unpaired surrogate", utf8, reader.TokenStartIndex);
                        }
                    }
                    else
                    {
                        if (depth == 1)
                            markers |= Marker(ref reader);
                        if (!FirstInItsObject(ref names, depth, reader.GetString()!))
                            return Refuse(InvalidKinds.DuplicateProperty, "a property appears twice in one object", utf8, reader.TokenStartIndex);
                    }

                    break;
            }
        }

        return null;
    }

    // Names seen so far in the open object of each depth, kept only for keys other than the event's fields:
    // a real event allocates nothing here.
    static bool FirstInItsObject(ref HashSet<string>?[]? names, int depth, string name)
    {
        names ??= new HashSet<string>?[MaxDepth + 1];
        return (names[depth] ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);
    }

    // Compared unescaped, so "\u0069p" is ip as well.
    static int Field(ref Utf8JsonReader reader)
    {
        for (var i = 0; i < Fields.Count; i++)
        {
            if (reader.ValueTextEquals(FieldsUtf8[i]))
                return i;
        }

        return -1;
    }

    static int Marker(ref Utf8JsonReader reader)
    {
        for (var i = 0; i < MarkersUtf8.Length; i++)
        {
            if (reader.ValueTextEquals(MarkersUtf8[i]))
                return 1 << i;
        }

        return 0;
    }

    // The comma before a closing bracket, if only whitespace lies between (a comment would have been refused).
    static int? TrailingComma(ReadOnlySpan<byte> utf8, int closing)
    {
        var before = utf8[..closing].TrimEnd(" \t\r\n"u8);
        return before.Length > 0 && before[^1] == (byte)',' ? before.Length - 1 : null;
    }

    static Rejection Refuse(string kind, string what, ReadOnlySpan<byte> utf8, long index)
    {
        var preceding = utf8[..(int)index];
        var lineStart = preceding.LastIndexOf((byte)'\n') + 1;
        var line = preceding.Count((byte)'\n') + 1;
        return new Rejection(kind, $"{what} (line {line}, byte {index - lineStart + 1})");
    }
}
