using System.Diagnostics;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Tests;

public class SqsMessagesTests
{
    sealed class At(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    static Message With(params (string Name, string Value)[] attributes) => new()
    {
        MessageId = "m",
        Attributes = attributes.ToDictionary(a => a.Name, a => a.Value),
    };

    [Fact]
    public void The_send_time_is_the_sent_timestamp()
    {
        var message = With((MessageSystemAttributeName.SentTimestamp, "1764633600123"), (MessageSystemAttributeName.ApproximateFirstReceiveTimestamp, "1764633609999"));

        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1764633600123), SqsMessages.SentAtOf(message));
    }

    [Fact]
    public void Without_a_sent_timestamp_every_delivery_of_a_message_has_the_same_send_time()
    {
        // The first receive's time is the same at every receive.
        var firstReceive = With((MessageSystemAttributeName.ApproximateFirstReceiveTimestamp, "1764633600123"));
        Assert.Equal(SqsMessages.SentAtOf(firstReceive, new At(DateTimeOffset.UtcNow)),
            SqsMessages.SentAtOf(firstReceive, new At(DateTimeOffset.UtcNow.AddMinutes(7))));

        // With neither (an emulator or a proxy that drops both), the day of the receive: redeliveries that day share it.
        var bare = With();
        var morning = new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);
        Assert.Equal(SqsMessages.SentAtOf(bare, new At(morning)), SqsMessages.SentAtOf(bare, new At(morning.AddHours(9).AddMilliseconds(17))));
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero), SqsMessages.SentAtOf(bare, new At(morning)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-5")]
    [InlineData("99999999999999999999")]
    [InlineData("12.5")]
    public void A_timestamp_that_is_not_one_is_passed_over(string value)
    {
        var morning = new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);

        Assert.Equal(morning.Date, SqsMessages.SentAtOf(With((MessageSystemAttributeName.SentTimestamp, value)), new At(morning)).UtcDateTime);
    }

    [Fact]
    public void A_producer_s_trace_context_comes_from_traceparent_or_the_x_ray_header()
    {
        var w3c = new Message
        {
            MessageAttributes = new()
            {
                ["traceparent"] = new MessageAttributeValue { DataType = "String", StringValue = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
            },
        };
        var xray = With((MessageSystemAttributeName.AWSTraceHeader, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"));

        Assert.Equal("0af7651916cd43dd8448eb211c80319c", SqsMessages.ProducerContextOf(w3c)?.TraceId.ToHexString());
        var fromXRay = SqsMessages.ProducerContextOf(xray)!.Value;
        Assert.Equal(("5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8", ActivityTraceFlags.Recorded),
            (fromXRay.TraceId.ToHexString(), fromXRay.SpanId.ToHexString(), fromXRay.TraceFlags));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a994272793")]
    [InlineData("Root=1-5759e988-BD862E3FE1BE46A994272793;Parent=53995c3f42cd8ad8")]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8")]
    [InlineData("Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8")]
    [InlineData("Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8")]
    [InlineData("Root=1-5759e988xbd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8")]
    [InlineData("Parent=;Root=;;;")]
    public void A_trace_header_that_is_not_one_is_no_context_and_no_exception(string header)
    {
        Assert.Null(SqsMessages.ProducerContextOf(With((MessageSystemAttributeName.AWSTraceHeader, header))));
        Assert.Null(SqsMessages.ProducerContextOf(new Message
        {
            MessageAttributes = new() { ["traceparent"] = new MessageAttributeValue { DataType = "String", StringValue = header } },
        }));
    }
}
