namespace LoginEtl.Worker.Consumers;

/// <summary>
/// A message that can never be stored, whatever the retries: it goes to the dead-letter queue.
/// The message names the field and the rule, never the value.
/// </summary>
public sealed class InvalidLoginEventException(string kind, string reason) : Exception(reason)
{
    /// <summary>A short machine-readable kind, e.g. <c>missing_field</c>; see <see cref="InvalidKinds"/>.</summary>
    public string Kind { get; } = kind;
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
}
