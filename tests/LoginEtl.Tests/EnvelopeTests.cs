using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoginEtl.Testing;
using LoginEtl.Worker.Commands;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Logins;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Tests;

/// <summary>SNS notifications and EventBridge events are unwrapped to the login inside, which is read as strictly as a plain body.</summary>
public class EnvelopeTests
{
    const int MaxBodyBytes = 256 * 1024;
    const string Ip = "203.0.113.7";
    const string Login = """{"user_id":"u-1","device_type":"ios","ip":"203.0.113.7","device_id":"555-12-3456","locale":"RU","app_version":"2.3.0"}""";
    const string NoUser = """{"device_type":"ios","ip":"203.0.113.7","device_id":"555-12-3456","app_version":"2.3.0"}""";

    static readonly LoginReader Reader =
        new(new LoginMasking(MaskingKeyRing.Load(new MaskingOptions { Mode = MaskingModes.Hash, Key = Convert.ToBase64String(new byte[32]) })));

    /// <summary>An SNS notification as SNS writes it with raw message delivery off; <paramref name="change"/> edits it.</summary>
    public static string Sns(string message = Login, Action<JsonObject>? change = null)
    {
        var envelope = new JsonObject
        {
            ["Type"] = "Notification",
            ["MessageId"] = "6af0b046-686f-4bc8-89f7-09920fa13ea4",
            ["TopicArn"] = "arn:aws:sns:eu-west-1:123456789012:user-logins",
            ["Subject"] = "user logged in",
            ["Message"] = message,
            ["Timestamp"] = "2026-03-01T23:59:58.123Z",
            ["SignatureVersion"] = "1",
            ["Signature"] = "EXAMPLE",
            ["SigningCertURL"] = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000.pem",
            ["UnsubscribeURL"] = "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
            ["MessageAttributes"] = new JsonObject { ["origin"] = new JsonObject { ["Type"] = "String", ["Value"] = "auth" } },
        };
        change?.Invoke(envelope);
        return envelope.ToJsonString();
    }

    /// <summary>An EventBridge event whose detail is <paramref name="detail"/> (JSON text, written as it is).</summary>
    public static string EventBridge(string detail = Login, string time = "\"2026-02-14T08:30:00Z\"") =>
        $$"""{"version":"0","id":"0d7a5e0c-1c2b-4f9b-9f40-9b3f0d5a7c11","detail-type":"user logged in","source":"auth","account":"123456789012","time":{{time}},"region":"eu-west-1","resources":[],"detail":{{detail}}}""";

    [Fact]
    public void An_sns_notification_is_read_as_its_message_with_its_timestamp()
    {
        var read = Reader.Read(Sns(), MaxBodyBytes, BodyShapes.Auto, out var utf8);

        Assert.Null(read.Rejection);
        Assert.Equal("u-1", read.Login!.UserId);
        Assert.DoesNotContain(Ip, read.Masked!.MaskedIp, StringComparison.Ordinal);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 23, 59, 58, 123, TimeSpan.Zero), read.PublishedAt);
        Assert.Equal(Login, Encoding.UTF8.GetString(utf8!));
        Assert.Equal("arn:aws:sns:eu-west-1:123456789012:user-logins", read.Notification!.TopicArn);
        Assert.Equal("user logged in", read.Notification.Subject);
    }

    [Fact]
    public void An_eventbridge_event_is_read_as_its_detail_with_its_time()
    {
        var read = Reader.Read(EventBridge(), MaxBodyBytes, BodyShapes.Auto, out var utf8);

        Assert.Null(read.Rejection);
        Assert.Equal("u-1", read.Login!.UserId);
        Assert.Equal(new DateTimeOffset(2026, 2, 14, 8, 30, 0, TimeSpan.Zero), read.PublishedAt);
        Assert.Null(read.Notification);
        Assert.Equal(Login, Encoding.UTF8.GetString(utf8!));
    }

    [Theory]
    [InlineData("2026-03-01T23:59:58Z", "2026-03-01T23:59:58.0000000+00:00")]
    [InlineData("2026-03-01T23:59:58.5Z", "2026-03-01T23:59:58.5000000+00:00")]
    [InlineData("2026-03-02T01:00:00+02:00", "2026-03-01T23:00:00.0000000+00:00")]
    public void An_envelope_time_with_its_offset_is_taken_as_utc(string time, string utc)
    {
        var read = Reader.Read(EventBridge(time: JsonSerializer.Serialize(time)), MaxBodyBytes);

        Assert.Equal(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), read.PublishedAt);
        Assert.Equal(TimeSpan.Zero, read.PublishedAt!.Value.Offset);
    }

    [Fact]
    public void An_envelope_without_a_time_and_a_plain_body_have_no_published_time()
    {
        Assert.Null(Reader.Read(Sns(change: e => e.Remove("Timestamp")), MaxBodyBytes).PublishedAt);
        Assert.Null(Reader.Read(Sns(change: e => e["Timestamp"] = null), MaxBodyBytes).PublishedAt);
        var plain = Reader.Read(Login, MaxBodyBytes, BodyShapes.Auto, out var utf8);
        Assert.Null(plain.PublishedAt);
        Assert.Null(plain.Notification);
        Assert.Equal(Login, Encoding.UTF8.GetString(utf8!));
    }

    public static TheoryData<string, string> InvalidEnvelopes => new()
    {
        { Sns(change: e => e["Message"] = 5), "sns Message is not a string" },
        { Sns(change: e => e["Message"] = new JsonObject { ["user_id"] = "u" }), "sns Message is not a string" },
        { Sns(change: e => e["Message"] = null), "sns Message is missing or null" },
        { Sns(change: e => e["Type"] = "SubscriptionConfirmation"), "sns Type is not Notification" },
        { Sns(change: e => e["Type"] = null), "sns Type is missing or null" },
        { Sns(change: e => e.Remove("MessageId")), "sns MessageId is missing or null" },
        { Sns(change: e => e["TopicArn"] = 1), "sns TopicArn is not a string" },
        { Sns(change: e => e["Timestamp"] = "yesterday"), "sns Timestamp is not an ISO 8601 time with its offset" },
        { Sns(change: e => e["Timestamp"] = "2026-03-01T23:59:58"), "sns Timestamp is not an ISO 8601 time with its offset" },
        { Sns(change: e => e["Timestamp"] = 1_767_225_600), "sns Timestamp is not a string" },
        { Sns(NoUser), "sns Message: user_id is missing or null" },
        { Sns("not json"), "sns Message: body is not a JSON object" },
        { Sns(Login[..^1] + ",}"), "sns Message: body has a comma before a closing bracket" },
        { Sns(Login.Replace("2.3.0", "abc", StringComparison.Ordinal)), "sns Message: app_version" },
        { Sns(Login.Replace("\"ios\"", "\"ios\\u0000\"", StringComparison.Ordinal)), "sns Message: device_type contains a NUL character" },
        { Sns("{\"user_id\":\"a\\ud800\"}"), "sns Message: user_id contains an unpaired surrogate" },
        { Sns().Replace("\"user logged in\"", "\"\\ud800\"", StringComparison.Ordinal), "sns Subject is not valid Unicode text" },
        { EventBridge("\"a string\""), "eventbridge detail is not an object" },
        { EventBridge("[" + Login + "]"), "eventbridge detail is not an object" },
        { EventBridge("null"), "eventbridge detail is missing or null" },
        { EventBridge(time: "\"soon\""), "eventbridge time is not an ISO 8601 time with its offset" },
        { EventBridge(time: "17"), "eventbridge time is not a string" },
        { EventBridge(NoUser), "eventbridge detail: user_id is missing or null" },
        { EventBridge(Login.Replace("\"u-1\"", "12", StringComparison.Ordinal)), "eventbridge detail: user_id is not a string or null" },
        { EventBridge().Replace("\"user logged in\"", "null", StringComparison.Ordinal), "eventbridge detail-type is missing or null" },
        { Sns(change: e => { e["detail-type"] = "x"; e["detail"] = new JsonObject(); }), "body has the keys of both an sns and an eventbridge envelope" },
    };

    [Theory]
    [MemberData(nameof(InvalidEnvelopes))]
    public void A_malformed_envelope_or_an_invalid_login_inside_is_an_envelope_rejection_with_the_inner_reason(string body, string reason)
    {
        var read = Reader.Read(body, MaxBodyBytes);

        Assert.Null(read.Login);
        Assert.Equal(InvalidKinds.Envelope, read.Rejection!.Kind);
        Assert.StartsWith(reason, read.Rejection.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(Ip, read.Rejection.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("555-12-3456", read.Rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_envelope_is_strict_json_like_any_body()
    {
        Assert.Equal(InvalidKinds.DuplicateProperty, Reader.Read(Sns()[..^1] + ",\"Message\":\"{}\"}", MaxBodyBytes).Rejection!.Kind);
        Assert.Equal(InvalidKinds.TrailingComma, Reader.Read(EventBridge()[..^1] + ",}", MaxBodyBytes).Rejection!.Kind);
        Assert.Equal(InvalidKinds.Comment, Reader.Read(EventBridge("/* x */" + Login), MaxBodyBytes).Rejection!.Kind);
        // The detail is part of the body's own JSON, so a property twice in it is the body's duplicate.
        Assert.Equal(InvalidKinds.DuplicateProperty, Reader.Read(EventBridge(Login[..^1] + ",\"ip\":\"198.51.100.1\"}"), MaxBodyBytes).Rejection!.Kind);
    }

    [Fact]
    public void Only_the_keys_of_a_whole_envelope_make_a_body_one()
    {
        Assert.Equal(BodyShapes.Plain, Shape(Login));
        Assert.Equal(BodyShapes.Sns, Shape(Sns()));
        Assert.Equal(BodyShapes.EventBridge, Shape(EventBridge()));
        // A login with some of an envelope's keys, or with them nested, is a login.
        Assert.Equal(BodyShapes.Plain, Shape(Login[..^1] + ",\"Type\":\"Notification\",\"Message\":\"m\"}"));
        Assert.Equal(BodyShapes.Plain, Shape(Login[..^1] + ",\"detail\":{}}"));
        Assert.Equal(BodyShapes.Plain, Shape(Login[..^1] + ",\"x\":{\"detail-type\":\"a\",\"detail\":{}}}"));
        Assert.Equal("u-1", Reader.Read(Login[..^1] + ",\"Type\":\"Notification\",\"Message\":\"m\"}", MaxBodyBytes).Login!.UserId);

        static BodyShapes Shape(string body)
        {
            Assert.Null(StrictJsonObject.Read(Encoding.UTF8.GetBytes(body), out _, out var shape));
            return shape;
        }
    }

    [Fact]
    public void An_envelope_inside_an_envelope_is_not_unwrapped_twice()
    {
        var read = Reader.Read(Sns(Sns()), MaxBodyBytes);

        Assert.Equal(InvalidKinds.Envelope, read.Rejection!.Kind);
        Assert.Equal("sns Message: user_id is missing or null", read.Rejection.Reason);
    }

    [Theory]
    [InlineData("auto", true, true, true)]
    [InlineData("", true, true, true)]
    [InlineData("plain", true, false, false)]
    [InlineData("sns,eventbridge", false, true, true)]
    [InlineData("plain, sns", true, true, false)]
    [InlineData("EventBridge", false, false, true)]
    public void Sqs_envelopes_accepts_the_shapes_it_lists_and_refuses_the_others_as_envelope(string setting, bool plain, bool sns, bool eventBridge)
    {
        var options = new SqsOptions { Envelopes = setting };

        foreach (var (body, accepted, name) in new[] { (Login, plain, "plain bodies"), (Sns(), sns, "sns envelopes"), (EventBridge(), eventBridge, "eventbridge envelopes") })
        {
            var read = Reader.Read(body, MaxBodyBytes, options.AcceptedShapes);
            if (accepted)
            {
                Assert.Equal("u-1", read.Login?.UserId);
            }
            else
            {
                Assert.Equal(InvalidKinds.Envelope, read.Rejection!.Kind);
                Assert.Equal($"{name} are not accepted (Sqs__Envelopes)", read.Rejection.Reason);
            }
        }
    }

    [Fact]
    public void Sqs_envelopes_none_reads_every_body_as_a_plain_login()
    {
        var options = new SqsOptions { Envelopes = "none" };

        Assert.Equal(BodyShapes.None, options.AcceptedShapes);
        Assert.Equal("u-1", Reader.Read(Login, MaxBodyBytes, options.AcceptedShapes).Login!.UserId);
        Assert.Equal(InvalidKinds.MissingField, Reader.Read(Sns(), MaxBodyBytes, options.AcceptedShapes).Rejection!.Kind);
        Assert.Equal(InvalidKinds.MissingField, Reader.Read(EventBridge(), MaxBodyBytes, options.AcceptedShapes).Rejection!.Kind);
    }

    [Theory]
    [InlineData("auto", null)]
    [InlineData("none", null)]
    [InlineData("sns", null)]
    [InlineData("plain,sns,eventbridge", null)]
    [InlineData("sqs", "Sqs__Envelopes must be auto, none, or a comma list of plain, sns, eventbridge")]
    [InlineData("sns,", "Sqs__Envelopes must be auto, none, or a comma list of plain, sns, eventbridge")]
    [InlineData("auto,sns", "Sqs__Envelopes must be auto, none, or a comma list of plain, sns, eventbridge")]
    [InlineData("none,plain", "Sqs__Envelopes must be auto, none, or a comma list of plain, sns, eventbridge")]
    public void A_bad_sqs_envelopes_setting_names_the_setting(string setting, string? error)
    {
        var options = new SqsOptions { Envelopes = setting };
        var results = new List<ValidationResult>();

        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);

        Assert.Equal(error is null ? [] : [error], results.Select(r => r.ErrorMessage));
    }

    [Theory]
    [InlineData(ProducedEnvelope.Sns, "2026-05-04T03:02:01.2500000+00:00")]
    [InlineData(ProducedEnvelope.EventBridge, "2026-05-04T03:02:01.0000000+00:00")]
    public void A_line_produced_in_an_envelope_is_read_as_its_login_published_when_it_was_sent(string envelope, string published)
    {
        var wrap = ProducedEnvelope.For(envelope, new FixedTime(new DateTimeOffset(2026, 5, 4, 3, 2, 1, 250, TimeSpan.Zero)));

        var read = Reader.Read(wrap(Login), MaxBodyBytes, BodyShapes.Auto, out var utf8);

        Assert.Null(read.Rejection);
        Assert.Equal("u-1", read.Login!.UserId);
        Assert.Equal(DateTimeOffset.Parse(published, System.Globalization.CultureInfo.InvariantCulture), read.PublishedAt);
        Assert.Equal(Login, Encoding.UTF8.GetString(utf8!));
        Assert.Equal(envelope == ProducedEnvelope.Sns, read.Notification is not null);
        Assert.Equal("{}", ProducedEnvelope.For(null, TimeProvider.System)("{}"));
    }

    sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    // Hostile bodies as the login inside an envelope, and envelopes whose own keys are hostile: each read is a login or
    // a rejection of a known kind, never an exception, and a reason never quotes a value.
    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    public void Generated_hostile_envelopes_are_read_or_rejected_never_thrown(int seed)
    {
        var bodies = new HostileBodies(seed);
        var random = new Random(seed);
        var rejected = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var body = random.Next(3) switch
            {
                0 => Sns(bodies.Next()),
                1 => EventBridge(bodies.Next()),
                _ => HostileEnvelope(random, bodies),
            };

            var read = Reader.Read(body, MaxBodyBytes);

            Assert.True((read.Login is null) != (read.Rejection is null), $"envelope {i} was neither a login nor a rejection: {body}");
            if (read.Rejection is { } rejection)
            {
                rejected++;
                Assert.False(string.IsNullOrWhiteSpace(rejection.Reason));
                Assert.DoesNotContain(Ip, rejection.Reason, StringComparison.Ordinal);
            }
        }

        Assert.InRange(rejected, 10_000, 20_000);
    }

    // An envelope of either shape with one of its own keys given a value of another type, cut, doubled or removed,
    // around a valid login, an invalid one or a hostile body.
    static string HostileEnvelope(Random random, HostileBodies bodies)
    {
        string[] values = ["null", "1e99999", "true", "{}", "[]", "\"\"", "\"\\ud800\"", "\"2026-01-01T00:00:00Z\"", "\"x\"", "\"Notification\"", "{\"a\":[{}]}"];
        var sns = random.Next(2) == 0;
        var envelope = JsonNode.Parse(sns ? Sns(random.Next(3) == 0 ? NoUser : Login) : EventBridge())!.AsObject();
        var keys = envelope.Select(p => p.Key).ToList();
        var text = envelope.ToJsonString();
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var key = JsonSerializer.Serialize(keys[random.Next(keys.Count)]);
            var at = text.IndexOf(key + ":", StringComparison.Ordinal);
            if (at < 0)
                continue;
            text = random.Next(5) switch
            {
                0 => text[..at] + key + ":" + values[random.Next(values.Length)] + "," + text[at..], // a duplicate
                1 => text[..(at + key.Length + 1)] + values[random.Next(values.Length)] + "," + JsonSerializer.Serialize("k" + n) + ":" + text[(at + key.Length + 1)..],
                2 => text[..(at + key.Length + 1)] + JsonSerializer.Serialize(bodies.Next()) + ",\"z" + n + "\":" + text[(at + key.Length + 1)..],
                3 => text[..random.Next(text.Length)],
                _ => text.Replace(key + ":", JsonSerializer.Serialize("gone" + n) + ":", StringComparison.Ordinal),
            };
        }

        return text;
    }
}
