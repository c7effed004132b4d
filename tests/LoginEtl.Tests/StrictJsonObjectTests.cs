using System.Text;
using LoginEtl.Worker.Logins;

namespace LoginEtl.Tests;

public class StrictJsonObjectTests
{
    const string Ip = "203.0.113.77";
    const string DeviceId = "555-12-3456";
    const string Login = $$"""{"user_id": "u", "device_type": "ios", "ip": "{{Ip}}", "device_id": "{{DeviceId}}", "locale": null, "app_version": "1.2.3"}""";

    static Rejection? Check(string body) => StrictJsonObject.Check(Encoding.UTF8.GetBytes(body));

    // Every refusal is checked for what it must never quote: the event's values and the producer's keys.
    static Rejection Refused(string body, params string[] neverQuoted)
    {
        var reason = Check(body);
        Assert.NotNull(reason);
        foreach (var text in neverQuoted.Append(Ip).Append(DeviceId))
            Assert.DoesNotContain(text, reason.Reason, StringComparison.Ordinal);
        return reason;
    }

    [Theory]
    [InlineData(Login)]
    [InlineData("{}")]
    [InlineData(" \r\n\t{ } \n")]
    [InlineData("""{"foo": "oops_wrong_msg_type", "bar": "123"}""")]
    [InlineData("""{"ip": "a", "IP": "b", "Ip": "c"}""")]
    [InlineData("""{"a": {"x": 1, "y": [1, {"x": 2}]}, "b": {"x": 1}, "c": [{"x": 1}, {"x": 1}]}""")]
    [InlineData("""{"ip": "a,]", "device_id": "/* not a comment */", "x": [1, 2]}""")]
    public void A_json_object_without_duplicates_comments_or_trailing_commas_passes(string body)
    {
        Assert.Null(Check(body));
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[1, 2, 3]")]
    [InlineData("null")]
    [InlineData("\"a string\"")]
    [InlineData("12")]
    [InlineData(" ")]
    [InlineData("203.0.113.77")]
    public void Anything_but_an_object_is_not_an_object(string body)
    {
        Assert.Equal(new Rejection(InvalidKinds.NotAnObject, "body is not a JSON object"), Refused(body));
    }

    [Theory]
    [InlineData("""{"ip": "a", "ip": "b"}""", "ip appears twice (line 1, byte 13)")]
    [InlineData("""{"device_id": "a", "user_id": "u", "device_id": "b"}""", "device_id appears twice (line 1, byte 36)")]
    [InlineData("""{"ip": "a", "\u0069p": "b"}""", "ip appears twice (line 1, byte 13)")]
    [InlineData("{\n  \"locale\": null,\n  \"locale\": \"en\"\n}", "locale appears twice (line 3, byte 3)")]
    [InlineData("""{"203.0.113.77": 1, "203.0.113.77": 2}""", "a property appears twice in one object (line 1, byte 21)")]
    [InlineData("""{"a": {"555-12-3456": 1, "555-12-3456": 2}}""", "a property appears twice in one object (line 1, byte 26)")]
    [InlineData("""{"a": [{"x": 1}, {"x": 1, "x": 2}]}""", "a property appears twice in one object (line 1, byte 27)")]
    public void A_duplicated_property_is_refused_by_position_naming_only_the_events_own_fields(string body, string reason)
    {
        Assert.Equal(new Rejection(InvalidKinds.DuplicateProperty, reason), Refused(body, "203.0.113.77", "555-12-3456"));
    }

    [Theory]
    [InlineData("""{"ip": "a", /* 203.0.113.77 */ "device_id": "b"}""", "line 1, byte 13")]
    [InlineData("{\"ip\": \"a\" // 203.0.113.77\n}", "line 1, byte 12")]
    [InlineData("""/* lead */ {"ip": "a"}""", "line 1, byte 1")]
    [InlineData("""{"ip": "a"} // trail""", "line 1, byte 13")]
    [InlineData("""{"ip": "a", "x": [1, /* c */ 2]}""", "line 1, byte 22")]
    public void A_comment_is_refused_by_position(string body, string position)
    {
        Assert.Equal(new Rejection(InvalidKinds.Comment, $"body has a comment ({position})"), Refused(body));
    }

    [Theory]
    [InlineData("""{"ip": "a",}""", "line 1, byte 11")]
    [InlineData("""{"ip": "a" ,  }""", "line 1, byte 12")]
    [InlineData("{\"ip\": \"a\",\n}", "line 1, byte 11")]
    [InlineData("""{"ip": "a", "x": [1, 2,]}""", "line 1, byte 23")]
    [InlineData("""{"x": {"y": 1,}}""", "line 1, byte 14")]
    public void A_trailing_comma_is_refused_by_position(string body, string position)
    {
        Assert.Equal(new Rejection(InvalidKinds.TrailingComma, $"body has a comma before a closing bracket ({position})"), Refused(body));
    }

    [Theory]
    [InlineData("""{"user_id": "u", "ip": """, "line 1, byte 24")]
    [InlineData("""{"ip": "203.0.113.77" "device_id": 1}""", "line 1, byte 23")]
    [InlineData("""{"ip": "203.0.113.77"}}""", "line 1, byte 23")]
    [InlineData("""{"ip": "a"} {"ip": "b"}""", "line 1, byte 13")]
    [InlineData("""{"ip": 'a'}""", "line 1, byte 8")]
    [InlineData("""{,"ip": "a"}""", "line 1, byte 2")]
    [InlineData("""{"ip": "a",,}""", "line 1, byte 12")]
    public void Broken_json_is_malformed_with_a_position(string body, string position)
    {
        Assert.Equal(new Rejection(InvalidKinds.MalformedJson, $"body is not a valid JSON object ({position})"), Refused(body));
    }

    [Fact]
    public void Nesting_deeper_than_the_deserializer_allows_is_malformed()
    {
        var deep = $$"""{"a": {{new string('[', 100)}}1{{new string(']', 100)}}}""";
        var allowed = $$"""{"a": {{new string('[', 63)}}1{{new string(']', 63)}}}""";

        Assert.Equal(InvalidKinds.MalformedJson, Refused(deep).Kind);
        Assert.Null(Check(allowed));
    }
}
