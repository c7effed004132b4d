using System.Globalization;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Worker.Contracts;

namespace LoginEtl.IntegrationTests;

/// <summary>
/// A FIFO queue with many message groups, interleaved: each group's logins are committed in the group's order, each
/// once, through a database that refuses writes for a while, a replica killed in the middle, and a redrive of the
/// dead letters interrupted and run again; dead letters keep their group.
/// </summary>
[Collection(IntegrationCollection.InProcess)]
public class FifoTests
{
    const int Groups = 50;
    const int PerGroup = 100;
    const int Total = Groups * PerGroup;

    // Every 251st message is invalid: one in each of the first twenty groups.
    static bool IsInvalid(int index) => index % 251 == 0;

    static (string Body, string Group) MessageAt(int index)
    {
        var (group, sequence) = (index % Groups, index / Groups);
        var body = IsInvalid(index) ? "not json" : SampleLogins.OfUser($"g{group:D2}-{sequence:D4}");
        return (body, $"g{group:D2}");
    }

    [Fact]
    public async Task Each_group_is_committed_in_its_order_exactly_once_through_a_refusal_a_crash_and_a_redrive()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync(maxReceiveCount: 1_000, visibilityTimeoutSeconds: 3, fifo: true);
        await using var outbox = await TestQueues.CreateAsync();
        // The order of commits, as the outbox table saw its events arrive (its own sequence, in the rows' transactions).
        await database.ExecuteAsync("""
            CREATE TABLE seen_events (id bigint PRIMARY KEY, body text NOT NULL);
            CREATE FUNCTION see_event() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO seen_events VALUES (NEW.id, NEW.body); RETURN NEW; END $$;
            CREATE TRIGGER see_event AFTER INSERT ON loginetl_outbox FOR EACH ROW EXECUTE FUNCTION see_event();
            """);
        var (role, asRole) = await database.CreateRoleAsync();
        try
        {
            var messages = Enumerable.Range(0, Total).Select(MessageAt).ToList();
            var ids = await queues.SendAsync(messages);
            var invalidIds = Enumerable.Range(0, Total).Where(IsInvalid).Select(i => ids[i]).ToHashSet();
            var valid = Total - invalidIds.Count;
            var key = Etl.NewKey();
            var settings = Etl.Settings(database, queues, key, $"--Outbox:QueueName={outbox.Name}", "--Sqs:WaitTimeSeconds=1")
                .Select(s => s.StartsWith("--ConnectionStrings:LoginDb=", StringComparison.Ordinal) ? $"--ConnectionStrings:LoginDb={asRole}" : s)
                .ToArray();

            using (var replica = EtlProcess.Start(["run", .. settings, "--Writer:BatchWait=00:00:00.010"]))
            {
                await Eventually.HoldsAsync(async () => await RowsAsync(database) >= Total / 4, "a quarter of the logins are stored", TimeSpan.FromMinutes(2));
                // A transient failure in the middle: writes refused for longer than the in-process retries last.
                await database.ExecuteAsync($"REVOKE INSERT ON user_logins FROM {role}");
                await Task.Delay(TimeSpan.FromSeconds(3));
                await database.ExecuteAsync($"GRANT INSERT ON user_logins TO {role}");
                await Eventually.HoldsAsync(async () => await RowsAsync(database) >= Total / 2, "half of the logins are stored", TimeSpan.FromMinutes(2));
                replica.Kill();
                Assert.True(replica.Output.Contains("The database refuses writes", StringComparison.Ordinal), replica.Output);
            }

            // What the killed replica held comes back when its visibility runs out, behind nothing of its group.
            Assert.Equal(0, await Etl.DrainAsync(database, queues, key, $"--Outbox:QueueName={outbox.Name}", "--Sqs:WaitTimeSeconds=1"));
            Assert.Equal(valid, await RowsAsync(database));
            Assert.Equal(valid, await database.ScalarAsync<long>("SELECT count(DISTINCT user_id) FROM user_logins"));
            await AssertEachGroupInOrderAsync(database, valid);

            // The dead-letter queue holds each invalid message once, in its own group.
            var redrive = await RedriveInterruptedAndAgainAsync(queues, Etl.Settings(database, queues, key), invalidIds.Count);
            Assert.Equal(invalidIds.Count, redrive.Count);
            foreach (var message in redrive)
            {
                var identity = message.MessageAttributes["loginetl.identity"].StringValue.Split(':', 5)[4];
                Assert.Contains(identity, invalidIds);
                var index = ids.IndexOf(identity);
                Assert.Equal(MessageAt(index).Group, message.Attributes[MessageSystemAttributeName.MessageGroupId]);
            }

            // Redriven, still invalid: dead-lettered again, and nothing more stored.
            Assert.Equal(0, await Etl.DrainAsync(database, queues, key));
            Assert.Equal(invalidIds.Count, await queues.DepthAsync(queues.DeadLetterUrl));
            Assert.Equal(valid, await RowsAsync(database));
        }
        finally
        {
            await database.DropRoleAsync(role);
        }
    }

    static async Task AssertEachGroupInOrderAsync(TestDatabase database, int valid)
    {
        var events = new List<string>();
        await using (var connection = database.CreateConnection())
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("SELECT body FROM seen_events ORDER BY id", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                events.Add(JsonSerializer.Deserialize<LoginRecorded>(reader.GetString(0))!.UserId);
        }

        Assert.Equal(valid, events.Count);
        Assert.Equal(valid, events.Distinct().Count());
        foreach (var group in events.GroupBy(e => e[..3]))
        {
            var sequence = group.Select(e => int.Parse(e[4..], CultureInfo.InvariantCulture)).ToList();
            Assert.True(sequence.SequenceEqual(sequence.Order()), $"group {group.Key} was committed out of order: {string.Join(", ", sequence)}");
        }
    }

    // A redrive whose deletes from the dead-letter queue fail (SQS took the sends: a cut between the two), then the
    // same redrive again: the second sends carry the first ones' deduplication ids, so the queue gets each message
    // once. Returns what reached the main queue, taken off it, with its group.
    static async Task<List<Message>> RedriveInterruptedAndAgainAsync(TestQueues queues, string[] settings, int expected)
    {
        Assert.Equal(expected, await queues.DepthAsync(queues.DeadLetterUrl));
        await using (var proxy = new SqsFaultProxy("DeleteMessageBatch"))
        {
            var interrupted = await Cli.RunAsync(["redrive", .. settings, $"--Sqs:ServiceUrl={proxy.Url}"]);
            Assert.True(proxy.Failed > 0, interrupted.Output + interrupted.Error);
        }

        Assert.Equal(expected, await queues.DepthAsync(queues.DeadLetterUrl));
        var again = await Cli.RunAsync(["redrive", .. settings]);
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Equal(0, await queues.DepthAsync(queues.DeadLetterUrl));

        Assert.Equal(expected, await queues.DepthAsync(queues.Url));
        var moved = new List<Message>();
        while (true)
        {
            var response = await queues.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(queues.Url)
            {
                MaxNumberOfMessages = 10, WaitTimeSeconds = 0, VisibilityTimeout = 60, MessageAttributeNames = ["All"],
                MessageSystemAttributeNames = [MessageSystemAttributeName.MessageGroupId],
            });
            if (response.Messages is not { Count: > 0 } batch)
                break;
            moved.AddRange(batch);
        }

        // Back on the queue for the drain that follows: visible again at once.
        foreach (var message in moved)
            await queues.Sqs.ChangeMessageVisibilityAsync(queues.Url, message.ReceiptHandle, 0);
        return moved.DistinctBy(m => m.MessageId).ToList();
    }

    [Fact]
    public async Task A_fifo_queue_with_a_standard_dead_letter_queue_stops_the_service_naming_both()
    {
        using var sqs = TestQueues.CreateClient();
        var name = $"logins-{Guid.NewGuid():N}";
        var fifo = (await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = name + ".fifo",
            Attributes = new() { [QueueAttributeName.FifoQueue] = "true" },
        })).QueueUrl;
        var standard = (await sqs.CreateQueueAsync(name + "-dlq")).QueueUrl;
        await using var database = await TestDatabase.CreateAsync();
        try
        {
            string[] common = [$"--ConnectionStrings:LoginDb={database.ConnectionString}", $"--Sqs:ServiceUrl={TestServices.SqsServiceUrl}", $"--Masking:Key={Etl.NewKey()}"];
            var run = await Cli.RunAsync(["run", "--drain", .. common, $"--Sqs:QueueName={name}.fifo", $"--Sqs:DeadLetterQueueName={name}-dlq"]);
            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains($"{name}.fifo (Sqs__QueueName) is a FIFO queue and {name}-dlq (Sqs__DeadLetterQueueName) is a standard queue", run.Error, StringComparison.Ordinal);

            var reversed = await Cli.RunAsync(["redrive", .. common, $"--Sqs:QueueName={name}-dlq", $"--Sqs:DeadLetterQueueName={name}.fifo"]);
            Assert.NotEqual(0, reversed.ExitCode);
            Assert.Contains($"{name}.fifo (Sqs__DeadLetterQueueName) is a FIFO queue and {name}-dlq (Sqs__QueueName) is a standard queue", reversed.Error, StringComparison.Ordinal);
        }
        finally
        {
            await sqs.DeleteQueueAsync(fifo);
            await sqs.DeleteQueueAsync(standard);
        }
    }

    [Fact]
    public async Task Produce_sends_to_a_fifo_queue_in_order_grouped_by_a_field_or_a_constant()
    {
        await using var queues = await TestQueues.CreateAsync(fifo: true);
        var lines = Enumerable.Range(0, 30).Select(i => SampleLogins.OfUser($"u{i % 3}")).Append("not json").ToList();
        string[] settings = [$"--Sqs:ServiceUrl={TestServices.SqsServiceUrl}", $"--Sqs:QueueName={queues.Name}"];

        var byField = await Cli.RunAsync(["produce", "-", "--group-id", "user_id", .. settings], standardInput: string.Join('\n', lines) + "\n");
        Assert.True(byField.ExitCode == 0, byField.Error);
        var constant = await Cli.RunAsync(["produce", "-", "--group-id", "batch-7", .. settings], standardInput: lines[0] + "\n");
        Assert.True(constant.ExitCode == 0, constant.Error);

        var received = new List<Message>();
        while (true)
        {
            var response = await queues.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(queues.Url)
            {
                MaxNumberOfMessages = 10, WaitTimeSeconds = 0, MessageSystemAttributeNames = [MessageSystemAttributeName.MessageGroupId],
            });
            if (response.Messages is not { Count: > 0 } batch)
                break;
            received.AddRange(batch);
            foreach (var message in batch)
                await queues.Sqs.DeleteMessageAsync(queues.Url, message.ReceiptHandle);
        }

        Assert.Equal(32, received.Count);
        var groups = received.GroupBy(m => m.Attributes[MessageSystemAttributeName.MessageGroupId]).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(["batch-7", "u0", "u1", "u2", "unset"], groups.Keys.Order());
        Assert.Equal(10, groups["u1"].Count);
        Assert.Equal("not json", Assert.Single(groups["unset"]).Body);

        await using var standard = await TestQueues.CreateAsync();
        var refused = await Cli.RunAsync(["produce", "-", "--group-id", "user_id", $"--Sqs:ServiceUrl={TestServices.SqsServiceUrl}", $"--Sqs:QueueName={standard.Name}"],
            standardInput: lines[0] + "\n");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"--group-id is for a FIFO queue, and {standard.Name} (Sqs__QueueName) is a standard queue", refused.Error, StringComparison.Ordinal);
    }

    static async Task<long> RowsAsync(TestDatabase database) => await database.ScalarAsync<long>("SELECT count(*) FROM user_logins");
}
