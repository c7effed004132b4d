using System.Text.Json;
using Amazon.SQS.Model;
using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Worker.Contracts;

namespace LoginEtl.IntegrationTests;

/// <summary>With Outbox__QueueName set, each stored login is published once it is committed, at least once, masked only.</summary>
[Collection(IntegrationCollection.InProcess)]
public class OutboxTests
{
    // Delivery is at least once: an event may come twice, so this waits for as many distinct ones.
    static async Task<List<LoginRecorded>> ReceiveAllAsync(TestQueues outbox, int atLeast)
    {
        var events = new List<LoginRecorded>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (events.Select(e => e.MessageId).Distinct().Count() < atLeast && DateTime.UtcNow < deadline)
        {
            var response = await outbox.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(outbox.Url) { MaxNumberOfMessages = 10, WaitTimeSeconds = 1 });
            foreach (var message in response.Messages ?? [])
            {
                events.Add(JsonSerializer.Deserialize<LoginRecorded>(message.Body)!);
                await outbox.Sqs.DeleteMessageAsync(outbox.Url, message.ReceiptHandle);
            }
        }

        return events;
    }

    [Fact]
    public async Task Each_committed_login_is_published_with_its_masked_fields_and_nothing_else()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        await using var outbox = await TestQueues.CreateAsync();
        var logins = SampleLogins.Generate(300, seed: 3);
        var ids = await queues.SendAsync([.. logins.Select(SampleLogins.ToJson), """{"foo": "oops_wrong_msg_type"}""", "not json"]);

        Assert.Equal(0, await Etl.DrainAsync(database, queues, Etl.NewKey(), $"--Outbox:QueueName={outbox.Name}"));

        // Drain returns only once the outbox table is empty: every event is on the queue already.
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM loginetl_outbox"));
        var events = await ReceiveAllAsync(outbox, logins.Count);
        var rows = (await database.LoginsAsync()).ToDictionary(r => r.UserId);
        Assert.Equal(ids.Take(logins.Count).Order(), events.Select(e => e.MessageId).Distinct().Order());
        foreach (var recorded in events)
        {
            var row = rows[recorded.UserId];
            Assert.Equal((row.MaskedIp, row.MaskedDeviceId, row.AppVersion, row.CreateDate), (recorded.MaskedIp, recorded.MaskedDeviceId, recorded.AppVersion, recorded.CreateDate));
        }

        var raw = string.Join('\n', events.Select(e => JsonSerializer.Serialize(e)));
        Assert.All(logins, l => Assert.DoesNotContain(l.Ip, raw, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Events_committed_before_a_crash_are_sent_by_the_next_run()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        await using var outbox = await TestQueues.CreateAsync();
        var logins = SampleLogins.Generate(200, seed: 4);
        var ids = await queues.SendAsync(logins.Select(SampleLogins.ToJson));
        var key = Etl.NewKey();
        var settings = Etl.Settings(database, queues, key);
        string[] withOutbox = [.. settings, $"--Outbox:QueueName={outbox.Name}"];

        // The outbox queue disappears after start: rows commit, their events cannot leave, and the replica is killed.
        using (var replica = EtlProcess.Start(["run", .. withOutbox]))
        {
            await Eventually.HoldsAsync(() => Task.FromResult(replica.IsReceiving), "the replica has started");
            await outbox.Sqs.DeleteQueueAsync(outbox.Url);
            await Eventually.HoldsAsync(async () => (await database.LoginsAsync()).Count == logins.Count, "every login is stored");
            replica.Kill();
        }

        Assert.Equal(logins.Count, await database.ScalarAsync<long>("SELECT count(*) FROM loginetl_outbox"));
        await outbox.Sqs.CreateQueueAsync(outbox.Name);
        Assert.Equal(0, await Etl.DrainAsync(database, queues, key, $"--Outbox:QueueName={outbox.Name}"));

        var events = await ReceiveAllAsync(outbox, logins.Count);
        Assert.Equal(ids.Order(), events.Select(e => e.MessageId).Distinct().Order());
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM loginetl_outbox"));
    }
}
