using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Worker.Masking;

namespace LoginEtl.IntegrationTests;

[Collection(IntegrationCollection.InProcess)]
public class EndToEndTests
{
    // Encoded independently of the code under test: major * 1,000,000 + minor * 1,000 + patch.
    static readonly Dictionary<string, int> EncodedVersions = new()
    {
        ["2.3.0"] = 2_003_000, ["0.96"] = 96_000, ["2.00"] = 2_000_000, ["0.2.6"] = 2_006,
        ["0.26"] = 26_000, ["2.6"] = 2_006_000, ["4.7.1"] = 4_007_001, ["3.4"] = 3_004_000,
    };

    [Fact]
    public async Task Valid_logins_become_masked_rows_and_the_queue_ends_empty()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var key = Etl.NewKey();
        var logins = SampleLogins.Generate(300);
        var firstDay = DateOnly.FromDateTime(DateTime.UtcNow);
        await queues.SendAsync(logins.Select(SampleLogins.ToJson));

        Assert.Equal(0, await Etl.DrainAsync(database, queues, key));

        var lastDay = DateOnly.FromDateTime(DateTime.UtcNow);
        var masker = new HmacMasker(Convert.FromBase64String(key));
        var rows = (await database.LoginsAsync()).ToDictionary(r => r.UserId);
        Assert.Equal(logins.Count, rows.Count);
        foreach (var login in logins)
        {
            var row = rows[login.UserId];
            Assert.Equal(login.DeviceType, row.DeviceType);
            Assert.Equal(login.Locale, row.Locale);
            Assert.Equal(EncodedVersions[login.AppVersion], row.AppVersion);
            Assert.Equal(masker.MaskIp(login.Ip), row.MaskedIp);
            Assert.Equal(masker.MaskDeviceId(login.DeviceId), row.MaskedDeviceId);
            Assert.DoesNotContain(login.Ip, row.MaskedIp, StringComparison.Ordinal);
            Assert.InRange(row.CreateDate, firstDay, lastDay);
        }

        Assert.Equal(0, await queues.DepthAsync(queues.Url));
        Assert.Empty(await queues.DrainDeadLettersAsync());
    }

    [Fact]
    public async Task Mixed_traffic_drains_into_exactly_the_valid_rows_and_the_invalid_dead_letters()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var logins = SampleLogins.Generate(2_000);
        string[] invalid =
        [
            """{"foo": "oops_wrong_msg_type", "bar": "123"}""", "not json", """{"user_id": 1}""", "[]",
            """{"user_id": "u", "device_type": "ios", "ip": "1.2.3.4", "device_id": "1", "locale": null, "app_version": "x"}""",
        ];
        var bodies = logins.Select(SampleLogins.ToJson).ToList();
        for (var i = 0; i < 100; i++)
            bodies.Insert(i * 20, invalid[i % invalid.Length]);
        await queues.SendAsync(bodies);

        Assert.Equal(0, await Etl.DrainAsync(database, queues, Etl.NewKey()));

        Assert.Equal(logins.Select(l => l.UserId).Order(), (await database.LoginsAsync()).Select(r => r.UserId).Order());
        Assert.Equal(100, (await queues.DrainDeadLettersAsync()).Count);
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
    }

    [Fact]
    public async Task Real_data_oddities_are_stored_as_they_are_meant()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        string[] bodies =
        [
            """{"user_id": "u-null-locale", "app_version": "2.3.0", "device_type": "android", "ip": "199.172.111.135", "locale": null, "device_id": "593-47-5928"}""",
            """{"user_id": "u-two-parts", "app_version": "0.96", "device_type": "ios", "ip": "10.1.2.3", "locale": "RU", "device_id": "104-25-0070"}""",
            """{"user_id": "u-three-parts", "app_version": "0.2.6", "device_type": "ios", "ip": "10.1.2.4", "locale": "PH", "device_id": "104-25-0071"}""",
            """{"user_id": "u-two-digit-minor", "app_version": "0.26", "device_type": "ios", "ip": "10.1.2.5", "locale": "PH", "device_id": "104-25-0072"}""",
            """{"user_id": "u-extra-fields", "app_version": "2.00", "device_type": "ios", "ip": "10.1.2.6", "locale": "DE", "device_id": "104-25-0073", "extra": {"nested": [1, 2]}}""",
            """{"foo": "oops_wrong_msg_type", "bar": "123"}""",
        ];
        var ids = await queues.SendAsync(bodies);

        Assert.Equal(0, await Etl.DrainAsync(database, queues, Etl.NewKey()));

        var rows = (await database.LoginsAsync()).ToDictionary(r => r.UserId);
        Assert.Equal(5, rows.Count);
        Assert.Null(rows["u-null-locale"].Locale);
        Assert.Equal(2_003_000, rows["u-null-locale"].AppVersion);
        Assert.Equal(96_000, rows["u-two-parts"].AppVersion);
        Assert.Equal(2_006, rows["u-three-parts"].AppVersion);
        Assert.Equal(26_000, rows["u-two-digit-minor"].AppVersion);
        Assert.Equal(2_000_000, rows["u-extra-fields"].AppVersion);

        var deadLetter = Assert.Single(await queues.DrainDeadLettersAsync());
        Assert.Equal(bodies[5], deadLetter.Body);
        Assert.Equal("missing_field", deadLetter.MessageAttributes["loginetl.error-kind"].StringValue);
        Assert.Equal(ids[5], deadLetter.MessageAttributes["loginetl.original-message-id"].StringValue);
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
    }

    [Fact]
    public async Task Equal_values_give_equal_masks_and_another_key_gives_other_masks()
    {
        string[] bodies =
        [
            """{"user_id": "a", "app_version": "1.0", "device_type": "ios", "ip": "203.0.113.9", "locale": null, "device_id": "555-12-3456"}""",
            """{"user_id": "b", "app_version": "1.0", "device_type": "ios", "ip": "203.0.113.9", "locale": null, "device_id": "555-12-3456"}""",
            """{"user_id": "c", "app_version": "1.0", "device_type": "ios", "ip": "203.0.113.10", "locale": null, "device_id": "555-12-3457"}""",
        ];

        async Task<Dictionary<string, Worker.Persistence.UserLogin>> StoreWithKeyAsync(string key)
        {
            await using var database = await TestDatabase.CreateAsync();
            await using var queues = await TestQueues.CreateAsync();
            await queues.SendAsync(bodies);
            Assert.Equal(0, await Etl.DrainAsync(database, queues, key));
            return (await database.LoginsAsync()).ToDictionary(r => r.UserId);
        }

        var first = await StoreWithKeyAsync(Etl.NewKey());
        var second = await StoreWithKeyAsync(Etl.NewKey());

        Assert.Equal(first["a"].MaskedIp, first["b"].MaskedIp);
        Assert.Equal(first["a"].MaskedDeviceId, first["b"].MaskedDeviceId);
        Assert.NotEqual(first["a"].MaskedIp, first["c"].MaskedIp);
        Assert.NotEqual(first["a"].MaskedDeviceId, first["c"].MaskedDeviceId);
        Assert.NotEqual(first["a"].MaskedIp, second["a"].MaskedIp);
        Assert.NotEqual(first["a"].MaskedDeviceId, second["a"].MaskedDeviceId);
    }

    [Fact]
    public async Task Draining_twice_changes_nothing()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var key = Etl.NewKey();
        await queues.SendAsync(SampleLogins.Generate(50).Select(SampleLogins.ToJson));

        Assert.Equal(0, await Etl.DrainAsync(database, queues, key));
        var afterFirst = await database.LoginsAsync();
        Assert.Equal(0, await Etl.DrainAsync(database, queues, key));
        var afterSecond = await database.LoginsAsync();

        Assert.Equal(50, afterFirst.Count);
        Assert.Equal(afterFirst.OrderBy(r => r.UserId), afterSecond.OrderBy(r => r.UserId));
    }
}
