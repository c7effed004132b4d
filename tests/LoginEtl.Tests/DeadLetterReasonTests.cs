using System.Runtime.Serialization;
using System.Text.Json;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Contracts;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Tests;

public class DeadLetterReasonTests
{
    static JsonException DeserializationError(string body) =>
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<LoginEvent>(body));

    static DeadLetterReason Classify(Exception exception)
    {
        Assert.True(DeadLetterReason.TryClassify(exception, out var reason));
        return reason;
    }

    [Fact]
    public void An_invalid_login_keeps_its_kind_and_reason_even_when_wrapped()
    {
        var invalid = new InvalidLoginEventException(InvalidKinds.TooLong, "locale is 40 characters long");

        Assert.Equal(new DeadLetterReason(InvalidKinds.TooLong, "locale is 40 characters long"), Classify(invalid));
        Assert.Equal(InvalidKinds.TooLong, Classify(new AggregateException(invalid)).Kind);
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_its_field()
    {
        var reason = Classify(DeserializationError("""{"user_id": 12}"""));

        Assert.Equal(InvalidKinds.WrongType, reason.Kind);
        Assert.StartsWith("user_id ", reason.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_json_is_malformed_with_a_position_and_no_text_of_the_body()
    {
        var truncated = Classify(new SerializationException("wrapped", DeserializationError("""{"user_id": "x",""")));
        var unknownKey = Classify(DeserializationError("""{"203.0.113.77": [}"""));

        Assert.Equal(InvalidKinds.MalformedJson, truncated.Kind);
        Assert.Contains("line 1", truncated.Reason, StringComparison.Ordinal);
        Assert.Equal(InvalidKinds.MalformedJson, unknownKey.Kind);
        Assert.DoesNotContain("203.0.113.77", unknownKey.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_failures_are_transient()
    {
        Assert.False(DeadLetterReason.TryClassify(new TimeoutException("the database did not answer"), out _));
        Assert.False(DeadLetterReason.TryClassify(new InvalidOperationException("connection refused"), out _));
    }
}
