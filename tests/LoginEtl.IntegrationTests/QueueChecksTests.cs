using LoginEtl.IntegrationTests.Infrastructure;

namespace LoginEtl.IntegrationTests;

/// <summary>Queues that would lose or loop messages stop `run` at start, with one line naming what to change.</summary>
[Collection(IntegrationCollection.Processes)]
public class QueueChecksTests
{
    [Fact]
    public async Task A_dead_letter_queue_that_takes_smaller_messages_than_the_queue_stops_run_at_start()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        await queues.Sqs.SetQueueAttributesAsync(queues.DeadLetterUrl, new Dictionary<string, string> { ["MaximumMessageSize"] = "2048" });
        var queueMax = (await queues.Sqs.GetQueueAttributesAsync(queues.Url, ["MaximumMessageSize"])).MaximumMessageSize;

        var result = await Cli.RunAsync(["run", "--drain", .. Etl.Settings(database, queues, Etl.NewKey())]);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"login-etl: dead-letter queue {queues.DeadLetterName} (Sqs__DeadLetterQueueName) takes messages of at most 2048 bytes, " +
            $"less than the {queueMax} of {queues.Name} (Sqs__QueueName): the largest messages could not be dead-lettered; give it a " +
            $"MaximumMessageSize of {queueMax} or more", result.Error.Trim());
    }

    [Fact]
    public async Task A_queue_whose_visibility_timeout_is_0_stops_run_at_start()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync(visibilityTimeoutSeconds: 0);
        await queues.SendAsync([SampleLogins.OfUser("waits")]);

        var result = await Cli.RunAsync(["run", "--drain", .. Etl.Settings(database, queues, Etl.NewKey())]);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"login-etl: queue {queues.Name} (Sqs__QueueName) has a VisibilityTimeout of 0", result.Error.Trim(), StringComparison.Ordinal);
        Assert.Equal(1, await queues.DepthAsync(queues.Url));
        Assert.Empty(await database.LoginsAsync());
    }

    [Fact]
    public async Task An_inbox_window_shorter_than_the_queues_retention_stops_run_at_start()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync(retentionSeconds: 4 * 3_600);

        var result = await Cli.RunAsync(["run", "--drain", .. Etl.Settings(database, queues, Etl.NewKey()), "--Inbox:Window=02:00:00"]);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("login-etl: Inbox__Window (02:00:00) is shorter than the queues can still deliver a message (08:00:00", result.Error.Trim(), StringComparison.Ordinal);
    }
}
