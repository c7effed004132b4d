using System.Runtime.Serialization;
using System.Text.Json;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Contracts;
using LoginEtl.Worker.Logins;
using MassTransit;

namespace LoginEtl.Tests;

public class LoginEventFaultsTests
{
    const string Ip = "203.0.113.77";
    const string DeviceId = "555-12-3456";

    static JsonException DeserializationError(string body) =>
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<LoginEvent>(body));

    static Rejection Classify(Exception exception)
    {
        Assert.True(LoginEventFaults.TryClassify(exception, out var reason));
        Assert.DoesNotContain(Ip, reason.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(DeviceId, reason.Reason, StringComparison.Ordinal);
        return reason;
    }

    [Fact]
    public void A_deserialization_error_is_found_inside_aggregate_and_wrapping_exceptions()
    {
        var error = DeserializationError("""{"user_id": 12}""");
        var expected = Classify(error);

        Assert.Equal(InvalidKinds.WrongType, expected.Kind);
        Assert.Equal(expected, Classify(new AggregateException(error)));
        Assert.Equal(expected, Classify(new AggregateException(new TimeoutException("slow"), error)));
        Assert.Equal(expected, Classify(new AggregateException(new AggregateException(error))));
        Assert.Equal(expected, Classify(new InvalidOperationException("consumer faulted", error)));
    }

    [Theory]
    [InlineData("""{"user_id": 12}""", "user_id")]
    [InlineData("""{"device_type": true}""", "device_type")]
    [InlineData("""{"ip": 203.0}""", "ip")]
    [InlineData("""{"ip": ["203.0.113.77"]}""", "ip")]
    [InlineData("""{"device_id": {"value": "555-12-3456"}}""", "device_id")]
    [InlineData("""{"locale": 1}""", "locale")]
    [InlineData("""{"app_version": 2.3}""", "app_version")]
    [InlineData("""{"ip": "203.0.113.77", "user_id": false}""", "user_id")]
    [InlineData("""{"203.0.113.77": 1, "ip": 5}""", "ip")]
    public void A_value_of_the_wrong_type_names_its_field(string body, string field)
    {
        var reason = Classify(DeserializationError(body));

        Assert.Equal(InvalidKinds.WrongType, reason.Kind);
        Assert.StartsWith($"{field} is not a string or null", reason.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_type_gives_its_line_and_byte()
    {
        var reason = Classify(DeserializationError("{\n  \"ip\": \"203.0.113.77\",\n  \"user_id\": 12\n}"));

        Assert.Equal(new Rejection(InvalidKinds.WrongType, "user_id is not a string or null, or its value is not valid JSON (line 3, byte 16)"), reason);
    }

    [Theory]
    [InlineData("""{"user_id": "x",""", "line 1, byte 16")]
    [InlineData("""{"203.0.113.77": [}""", "line 1, byte 19")]
    [InlineData("""{"ip": "203.0.113.77" "device_id": 1}""", "line 1, byte 23")]
    [InlineData("""{"ip": "203.0.113.77"}}""", "line 1, byte 23")]
    [InlineData("""{"device_id":"555-12-3456",""", "line 1, byte 27")]
    [InlineData("""{"ip_addr": [}""", "line 1, byte 14")]
    [InlineData("""{"IP": [}""", "line 1, byte 9")]
    [InlineData("""["203.0.113.77"]""", "line 1, byte 2")]
    [InlineData("\"203.0.113.77\"", "line 1, byte 15")]
    [InlineData("203.0.113.77", "line 1, byte 6")]
    [InlineData("555-12-3456", "line 1, byte 4")]
    [InlineData("", "line 1, byte 1")]
    public void Broken_json_is_malformed_with_a_position_and_no_text_of_the_body(string body, string position)
    {
        var reason = Classify(DeserializationError(body));

        Assert.Equal(new Rejection(InvalidKinds.MalformedJson, $"body is not a valid JSON object ({position})"), reason);
    }

    [Fact]
    public void An_unknown_key_is_never_quoted()
    {
        var error = DeserializationError("""{"203.0.113.77": [}""");

        // System.Text.Json itself puts the key in its path: the reason must not pass it on.
        Assert.Contains(Ip, error.Path, StringComparison.Ordinal);
        Assert.Equal(InvalidKinds.MalformedJson, Classify(error).Kind);
        Assert.Equal(InvalidKinds.MalformedJson, Classify(DeserializationError("""{"555-12-3456": {"x": [}}""")).Kind);
    }

    [Fact]
    public void A_serialization_exception_is_classified_by_the_json_error_inside_it()
    {
        var truncated = Classify(new SerializationException("wrapped", DeserializationError("""{"user_id": "x",""")));
        var wrongType = Classify(new SerializationException("wrapped", DeserializationError("""{"device_id": 5553456}""")));

        Assert.Equal(new Rejection(InvalidKinds.MalformedJson, "body is not a valid JSON object (line 1, byte 16)"), truncated);
        Assert.Equal(InvalidKinds.WrongType, wrongType.Kind);
        Assert.StartsWith("device_id ", wrongType.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_serialization_exception_without_a_json_error_is_malformed()
    {
        Assert.Equal(new Rejection(InvalidKinds.MalformedJson, "body could not be deserialized"),
            Classify(new SerializationException($"could not read {Ip}")));
    }

    [Fact]
    public void A_message_that_no_consumer_took_is_not_an_object()
    {
        var notConsumed = new MessageNotConsumedException(new Uri("loopback://localhost/login-queue"), $"The message was not consumed: {Ip}");

        Assert.Equal(new Rejection(InvalidKinds.NotAnObject, "body is not a JSON object"), Classify(notConsumed));
        Assert.Equal(InvalidKinds.NotAnObject, Classify(new AggregateException(notConsumed)).Kind);
    }

    [Fact]
    public void Other_failures_are_transient()
    {
        Assert.False(LoginEventFaults.TryClassify(new TimeoutException("the database did not answer"), out _));
        Assert.False(LoginEventFaults.TryClassify(new InvalidOperationException("connection refused"), out _));
        Assert.False(LoginEventFaults.TryClassify(new OperationCanceledException(), out _));
        Assert.False(LoginEventFaults.TryClassify(new InvalidOperationException("outer", new TimeoutException("inner")), out _));
        Assert.False(LoginEventFaults.TryClassify(new AggregateException(new TimeoutException(), new IOException()), out _));
    }
}
