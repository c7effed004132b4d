using LoginEtl.IntegrationTests.Infrastructure;
using static LoginEtl.IntegrationTests.Infrastructure.SampleLogins;

namespace LoginEtl.IntegrationTests;

[Collection(IntegrationCollection.InProcess)]
public class EnvelopeTests
{
    [Fact]
    public async Task Logins_from_sns_topics_and_eventbridge_events_are_stored_with_the_envelopes_date_and_invalid_ones_dead_lettered_with_their_reason()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        await using var enveloped = await TestTopic.CreateAsync();
        await using var raw = await TestTopic.CreateAsync();
        var queueArn = (await queues.Sqs.GetQueueAttributesAsync(queues.Url, ["QueueArn"])).QueueARN;
        await enveloped.SubscribeAsync(queueArn, rawMessageDelivery: false);
        await raw.SubscribeAsync(queueArn, rawMessageDelivery: true);

        var publishedFrom = DateOnly.FromDateTime(DateTime.UtcNow);
        for (var i = 0; i < 5; i++)
        {
            await enveloped.PublishAsync(OfUser($"sns-{i}"));
            await raw.PublishAsync(OfUser($"raw-{i}"));
        }

        await enveloped.PublishAsync(Json(userId: "null"));
        await enveloped.PublishAsync(Json(appVersion: "\"abc\""));
        await raw.PublishAsync(Json(userId: "null"));
        await raw.PublishAsync("not json at all");
        // Sent to the queue as an EventBridge rule or another topic's subscription would, with times of their own.
        await queues.SendAsync(
        [
            EventBridge(OfUser("eventbridge"), "2026-02-14T08:30:00Z"),
            EventBridge("\"a string\"", "2026-02-14T08:30:00Z"),
            EventBridge(Json(deviceId: "null"), "2026-02-14T08:30:00Z"),
            EventBridge(OfUser("eventbridge-late"), "yesterday"),
            SnsNotification(OfUser("sns-direct"), "2025-12-31T23:59:59.999Z"),
            OfUser("plain"),
        ]);
        var sentTo = DateOnly.FromDateTime(DateTime.UtcNow);

        Assert.Equal(0, await Etl.DrainAsync(database, queues, Etl.NewKey()));

        var rows = (await database.LoginsAsync()).ToDictionary(r => r.UserId, r => r.CreateDate);
        Assert.Equal(
            new[] { "eventbridge", "plain", "sns-direct" }.Concat(Enumerable.Range(0, 5).SelectMany(i => new[] { $"raw-{i}", $"sns-{i}" })).Order(StringComparer.Ordinal),
            rows.Keys.Order(StringComparer.Ordinal));
        // The topic's notifications are dated by their Timestamp, the raw deliveries and the plain body by their send.
        Assert.All(rows.Where(r => r.Key is not ("eventbridge" or "sns-direct")), row => Assert.InRange(row.Value, publishedFrom, sentTo));
        Assert.Equal(new DateOnly(2026, 2, 14), rows["eventbridge"]);
        Assert.Equal(new DateOnly(2025, 12, 31), rows["sns-direct"]);

        var deadLetters = (await queues.DrainDeadLettersAsync())
            .Select(m => (Kind: m.MessageAttributes["loginetl.error-kind"].StringValue, Reason: m.MessageAttributes["loginetl.error-reason"].StringValue))
            .OrderBy(d => d.Kind, StringComparer.Ordinal).ThenBy(d => d.Reason, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(
        [
            ("envelope", "eventbridge detail is not an object"),
            ("envelope", "eventbridge detail: device_id is missing or null"),
            ("envelope", "eventbridge time is not an ISO 8601 time with its offset"),
            ("envelope", "sns Message: app_version"),
            ("envelope", "sns Message: user_id is missing or null"),
            ("missing_field", "user_id is missing or null"),
            ("not_an_object", "body is not a JSON object"),
        ], deadLetters.Select(d => (d.Kind, d.Reason.StartsWith("sns Message: app_version", StringComparison.Ordinal) ? "sns Message: app_version" : d.Reason)));
        Assert.All(deadLetters, d => Assert.DoesNotContain(Ip, d.Reason, StringComparison.Ordinal));
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
    }

    static string EventBridge(string detail, string time) =>
        $$"""{"version":"0","id":"{{Guid.NewGuid()}}","detail-type":"user logged in","source":"auth","account":"123456789012","time":"{{time}}","region":"us-east-1","resources":[],"detail":{{detail}}}""";

    static string SnsNotification(string message, string timestamp) =>
        $$"""{"Type":"Notification","MessageId":"{{Guid.NewGuid()}}","TopicArn":"arn:aws:sns:us-east-1:000000000000:another-topic","Message":{{System.Text.Json.JsonSerializer.Serialize(message)}},"Timestamp":"{{timestamp}}","SignatureVersion":"1","Signature":"EXAMPLE","SigningCertURL":"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem","UnsubscribeURL":"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"}""";
}
