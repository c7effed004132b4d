using System.Text.Json;

namespace LoginEtl.Worker.Logins;

/// <summary>
/// Why a message can never be stored, whatever the retries: it goes to the dead-letter queue with this kind and
/// reason. The reason names the field and the rule, never the value.
/// </summary>
/// <param name="Kind">A short machine-readable kind, e.g. <c>missing_field</c>; see <see cref="InvalidKinds"/>.</param>
public sealed record Rejection(string Kind, string Reason)
{
    /// <summary>
    /// What System.Text.Json says of a body it stopped reading: a path into the document when a value had the wrong
    /// type, a line and byte position when the text is not JSON. Its own message may quote the input, and a path
    /// through an unknown key would quote the producer's key, so neither is passed on.
    /// </summary>
    public static Rejection FromJson(JsonException json)
    {
        var position = $"line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1}";
        var field = json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
        return field is not null && LoginFields.Names.Contains(field)
            ? new Rejection(InvalidKinds.WrongType, $"{field} is not a string or null, or its value is not valid JSON ({position})")
            : new Rejection(InvalidKinds.MalformedJson, $"body is not a valid JSON object ({position})");
    }
}

/// <summary>The kinds of invalid message, as written to the dead-letter queue's <c>loginetl.error-kind</c>.</summary>
public static class InvalidKinds
{
    public const string TooLarge = "too_large";
    public const string MalformedJson = "malformed_json";
    public const string DuplicateProperty = "duplicate_property";
    public const string Comment = "comment";
    public const string TrailingComma = "trailing_comma";
    public const string NotAnObject = "not_an_object";
    public const string WrongType = "wrong_type";
    public const string MissingField = "missing_field";
    public const string EmptyField = "empty_field";
    public const string TooLong = "too_long";
    public const string InvalidText = "invalid_text";
    public const string InvalidAppVersion = "invalid_app_version";

    /// <summary>An SNS or EventBridge envelope that is malformed, not accepted, or whose login is invalid (the reason says which).</summary>
    public const string Envelope = "envelope";
}
