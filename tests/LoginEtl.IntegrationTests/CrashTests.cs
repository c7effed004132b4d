using LoginEtl.IntegrationTests.Infrastructure;

namespace LoginEtl.IntegrationTests;

/// <summary>
/// Replicas killed and replaced while they drain a queue: every valid message ends as exactly one row, every
/// invalid one in the dead-letter queue, and the queue empty.
/// </summary>
[Collection(IntegrationCollection.Processes)]
public class CrashTests
{
    const int Valid = 19_000;
    const int Invalid = 1_000;
    const int Replicas = 3;

    // Throttled so that the drain takes long enough for many stops, however fast the machine: two batches of ten
    // in flight per replica, and each commit held for a moment.
    static readonly string[] Throttle = ["--Sqs:Pollers=2", "--Sqs:MaxInFlight=20", "--Writer:BatchWait=00:00:00.020", "--Sqs:WaitTimeSeconds=1"];

    static async Task<(TestDatabase Database, TestQueues Queues, List<string> InvalidIds)> FillAsync()
    {
        var database = await TestDatabase.CreateAsync();
        var queues = await TestQueues.CreateAsync(maxReceiveCount: 1_000, visibilityTimeoutSeconds: 3);
        var logins = SampleLogins.Generate(Valid, seed: 99).Select(SampleLogins.ToJson).ToList();
        var bodies = new List<string>(logins);
        var invalidAt = new HashSet<int>(Enumerable.Range(0, Invalid).Select(i => i * (Valid + Invalid) / Invalid));
        foreach (var index in invalidAt.Order())
            bodies.Insert(index, index % 2 == 0 ? """{"foo": "oops_wrong_msg_type"}""" : "not json");
        var ids = await queues.SendAsync(bodies);
        return (database, queues, invalidAt.Select(i => ids[i]).ToList());
    }

    static int? PickReceiving(List<EtlProcess> replicas, Random random)
    {
        var receiving = Enumerable.Range(0, replicas.Count).Where(i => replicas[i].IsReceiving).ToList();
        return receiving.Count == 0 ? null : receiving[random.Next(receiving.Count)];
    }

    [Fact]
    public async Task Replicas_killed_at_random_lose_nothing_and_store_nothing_twice()
    {
        var (database, queues, invalidIds) = await FillAsync();
        await using var _ = database;
        await using var __ = queues;
        var key = Etl.NewKey();
        var settings = Etl.Settings(database, queues, key);
        var random = new Random(7);
        var replicas = Enumerable.Range(0, Replicas).Select(_ => EtlProcess.Start(["run", .. settings, .. Throttle])).ToList();
        var kills = 0;
        try
        {
            while (await queues.DepthAsync(queues.Url) > 0 && kills < 60)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(700, 1300)));
                if (PickReceiving(replicas, random) is not { } victim)
                    continue;
                replicas[victim].Kill();
                replicas[victim].Dispose();
                replicas[victim] = EtlProcess.Start(["run", .. settings, .. Throttle]);
                kills++;
            }
        }
        finally
        {
            replicas.ForEach(r => r.Dispose());
        }

        // Whatever the last kills left in flight comes back when its visibility runs out.
        Assert.Equal(0, await Etl.DrainAsync(database, queues, key));

        Assert.True(kills >= 10, $"only {kills} replicas were killed before the queue emptied");
        Assert.Equal(Valid, await database.ScalarAsync<long>("SELECT count(*) FROM user_logins"));
        Assert.Equal(Valid, await database.ScalarAsync<long>("SELECT count(DISTINCT user_id) FROM user_logins"));
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
        // One entry per invalid message, whatever copies the kills left: as dead-letters counts them, and as redrive moves them.
        var summary = await Cli.RunAsync(["dead-letters", .. settings]);
        Assert.True(summary.ExitCode == 0, summary.Error);
        Assert.StartsWith($"{queues.DeadLetterName}: {Invalid} dead letter(s)", summary.Output, StringComparison.Ordinal);
        var redrive = await Cli.RunAsync(["redrive", .. settings]);
        Assert.True(redrive.ExitCode == 0, redrive.Error);
        Assert.StartsWith($"Moved {Invalid} message(s) from {queues.DeadLetterName} to {queues.Name}", redrive.Output, StringComparison.Ordinal);
        Assert.Equal(0, await queues.DepthAsync(queues.DeadLetterUrl));
        var redriven = new List<Amazon.SQS.Model.Message>();
        while (await queues.DepthAsync(queues.Url) > 0)
        {
            var response = await queues.Sqs.ReceiveMessageAsync(new Amazon.SQS.Model.ReceiveMessageRequest(queues.Url)
            {
                MaxNumberOfMessages = 10, MessageAttributeNames = ["All"], WaitTimeSeconds = 0,
            });
            foreach (var message in response.Messages ?? [])
            {
                redriven.Add(message);
                await queues.Sqs.DeleteMessageAsync(queues.Url, message.ReceiptHandle);
            }
        }

        Assert.Equal(invalidIds.Order(), redriven.Select(m => m.MessageAttributes["loginetl.identity"].StringValue.Split(':', 5)[4]).Order());
    }

    [Fact]
    public async Task Replicas_stopped_gracefully_finish_what_they_hold_and_nothing_is_redelivered()
    {
        var (database, queues, invalidIds) = await FillAsync();
        await using var _ = database;
        await using var __ = queues;
        var settings = Etl.Settings(database, queues, Etl.NewKey());
        var random = new Random(8);
        var replicas = Enumerable.Range(0, Replicas).Select(_ => EtlProcess.Start(["run", .. settings, .. Throttle])).ToList();
        var stopped = new List<EtlProcess>();
        List<(int ExitCode, string Output)> exits;
        try
        {
            while (await queues.DepthAsync(queues.Url) > 0 && stopped.Count < 60)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(700, 1300)));
                if (PickReceiving(replicas, random) is not { } victim)
                    continue;
                replicas[victim].Terminate();
                stopped.Add(replicas[victim]);
                replicas[victim] = EtlProcess.Start(["run", .. settings, .. Throttle]);
            }

            await Eventually.HoldsAsync(() => Task.FromResult(replicas.All(r => r.IsReceiving)), "the last replicas have started");
            // However slow the machine, the queue is empty before the last replicas stop: what they hold is all there is.
            await Eventually.HoldsAsync(async () => await queues.DepthAsync(queues.Url) == 0, "the last replicas have drained the queue",
                TimeSpan.FromMinutes(5));
            replicas.ForEach(r => r.Terminate());
            stopped.AddRange(replicas);
            foreach (var replica in stopped)
                await replica.WaitForExitAsync(TimeSpan.FromSeconds(60));
            exits = stopped.Select(r => (r.ExitCode, r.Output)).ToList();
        }
        finally
        {
            stopped.ForEach(r => r.Dispose());
        }

        Assert.True(stopped.Count >= 10, $"only {stopped.Count} replicas were stopped before the queue emptied");
        Assert.All(exits, r => Assert.True(r.ExitCode == 0, $"exit code {r.ExitCode}:\n{r.Output}"));
        var summaries = exits.Select(r => EtlProcess.ParseSummary(r.Output) ?? throw new InvalidOperationException($"no summary:\n{r.Output}")).ToList();
        // Every message was received exactly once across all replicas: none came back after a graceful stop.
        Assert.Equal(Valid + Invalid, summaries.Sum(s => s.Received));
        Assert.Equal(Valid, summaries.Sum(s => s.Stored));
        Assert.Equal(0, summaries.Sum(s => s.AlreadyStored));
        Assert.Equal(Valid, await database.ScalarAsync<long>("SELECT count(*) FROM user_logins"));
        var deadLetters = await queues.DrainDeadLettersAsync();
        Assert.Equal(invalidIds.Order(), deadLetters.Select(m => m.MessageAttributes["loginetl.original-message-id"].StringValue).Order());
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
    }
}
