using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Worker.Masking;
using static LoginEtl.IntegrationTests.Infrastructure.SampleLogins;

namespace LoginEtl.IntegrationTests;

[Collection(IntegrationCollection.InProcess)]
public class DeadLetterTests
{
    const string Ip = SampleLogins.Ip;
    const string DeviceId = SampleLogins.DeviceId;

    // Each body, the kind it must be dead-lettered with, and a word its reason must contain.
    public static TheoryData<string, string, string> InvalidMessages => new()
    {
        { "not json at all", "not_an_object", "JSON object" },
        { "[1, 2, 3]", "not_an_object", "JSON object" },
        { "null", "not_an_object", "JSON object" },
        { "\"a string\"", "not_an_object", "JSON object" },
        { """{"user_id": "u", "ip": """, "malformed_json", "line 1" },
        { "{}", "missing_field", "user_id" },
        { """{"foo": "oops_wrong_msg_type", "bar": "123"}""", "missing_field", "user_id" },
        { Json(userId: "12"), "wrong_type", "user_id" },
        { Json(ip: "[1]"), "wrong_type", "ip" },
        { Json(locale: "{}"), "wrong_type", "locale" },
        { Json(ip: "\"\\ud800\""), "invalid_text", "ip contains an unpaired surrogate" },
        { Json(deviceId: "null"), "missing_field", "device_id" },
        { Json(userId: "\"\""), "empty_field", "user_id" },
        { Json(deviceType: "\"   \""), "empty_field", "device_type" },
        { Json(userId: $"\"{new string('u', 129)}\""), "too_long", "user_id" },
        { Json(deviceType: $"\"{new string('d', 33)}\""), "too_long", "device_type" },
        { Json(locale: $"\"{new string('l', 33)}\""), "too_long", "locale" },
        { Json(locale: "\"en\\u0000\""), "invalid_text", "locale" },
        { Json(appVersion: "\"abc\""), "invalid_app_version", "app_version" },
        { Json(appVersion: "\"1.1000\""), "invalid_app_version", "app_version" },
        { Json(appVersion: "\"1.2.3.4\""), "invalid_app_version", "app_version" },
        { Json(appVersion: "\"\""), "empty_field", "app_version" },
        { Json(appVersion: "2"), "wrong_type", "app_version" },
        { Json(ip: $"\"{new string('1', 101)}\""), "too_long", "ip" },
        { Json(deviceId: $"\"{new string('d', 129)}\""), "too_long", "device_id" },
        { Json() + new string(' ', 16_385 - Json().Length), "too_large", "body is 16385 bytes; at most 16384 are allowed" },
        { Json(userId: $"\"{new string('\u7528', 6_000)}\""), "too_large", "at most 16384" },
        { Json()[..^1] + $", \"ip\": \"{Ip}\"}}", "duplicate_property", "ip appears twice" },
        { Json()[..^1] + ", \"x\": 1, \"x\": 2}", "duplicate_property", "a property appears twice" },
        { Json(ip: $"\"{Ip}\" /* {Ip} */"), "comment", "comment" },
        { Json()[..^1] + ",}", "trailing_comma", "comma" },
        { Json().Replace("\"ip\"", "\"IP\"", StringComparison.Ordinal), "missing_field", "ip" },
    };

    [Theory]
    [MemberData(nameof(InvalidMessages))]
    public async Task An_invalid_message_goes_to_the_dead_letter_queue_with_its_reason(string body, string kind, string reasonMentions)
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var valid = Json(userId: "\"the-valid-one\"");
        var ids = await queues.SendAsync([body, valid]);

        Assert.Equal(0, await Etl.DrainAsync(database, queues, Etl.NewKey()));

        var deadLetter = Assert.Single(await queues.DrainDeadLettersAsync());
        Assert.Equal(body, deadLetter.Body);
        Assert.Equal(kind, deadLetter.MessageAttributes["loginetl.error-kind"].StringValue);
        var reason = deadLetter.MessageAttributes["loginetl.error-reason"].StringValue;
        Assert.Contains(reasonMentions, reason, StringComparison.Ordinal);
        Assert.DoesNotContain(Ip, reason, StringComparison.Ordinal);
        Assert.DoesNotContain(DeviceId, reason, StringComparison.Ordinal);
        Assert.Equal(ids[0], deadLetter.MessageAttributes["loginetl.original-message-id"].StringValue);
        Assert.Equal(queues.Name, deadLetter.MessageAttributes["loginetl.source-queue"].StringValue);

        var row = Assert.Single(await database.LoginsAsync());
        Assert.Equal("the-valid-one", row.UserId);
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
    }

    [Fact]
    public async Task A_body_at_the_size_limit_is_stored_and_property_names_match_exactly()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var atTheLimit = Json(userId: "\"at-the-limit\"");
        atTheLimit += new string(' ', 16_384 - atTheLimit.Length);
        // Only the exact name is the field: "IP" is some other key, ignored.
        var otherCase = Json(userId: "\"other-case\"")[..^1] + ", \"IP\": \"198.51.100.1\", \"Device_Id\": \"x\"}";
        await queues.SendAsync([atTheLimit, otherCase]);
        var key = Etl.NewKey();

        Assert.Equal(0, await Etl.DrainAsync(database, queues, key));

        Assert.Empty(await queues.DrainDeadLettersAsync());
        var rows = (await database.LoginsAsync()).ToDictionary(r => r.UserId);
        var masker = new HmacMasker(Convert.FromBase64String(key));
        Assert.Equal(["at-the-limit", "other-case"], rows.Keys.Order());
        Assert.All(rows.Values, row => Assert.Equal((masker.MaskIp(Ip), masker.MaskDeviceId(DeviceId)), (row.MaskedIp, row.MaskedDeviceId)));
    }

    [Fact]
    public async Task Many_invalid_messages_at_once_each_reach_the_dead_letter_queue_once_with_their_own_reason()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var invalid = InvalidMessages.Select(row => ((string)row[0], (string)row[1])).ToList();
        var valid = Enumerable.Range(0, 30).Select(i => Json(userId: $"\"valid-{i}\"")).ToList();
        var ids = await queues.SendAsync([.. invalid.Select(m => m.Item1), .. valid]);

        Assert.Equal(0, await Etl.DrainAsync(database, queues, Etl.NewKey()));

        var deadLetters = (await queues.DrainDeadLettersAsync())
            .ToDictionary(m => m.MessageAttributes["loginetl.original-message-id"].StringValue);
        Assert.Equal(invalid.Count, deadLetters.Count);
        for (var i = 0; i < invalid.Count; i++)
        {
            var deadLetter = deadLetters[ids[i]];
            Assert.Equal(invalid[i].Item1, deadLetter.Body);
            Assert.Equal(invalid[i].Item2, deadLetter.MessageAttributes["loginetl.error-kind"].StringValue);
        }

        Assert.Equal(valid.Count, (await database.LoginsAsync()).Count);
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
    }
}
