using LoginEtl.IntegrationTests.Infrastructure;

namespace LoginEtl.IntegrationTests;

[Collection(IntegrationCollection.Alone)]
public class DeliveryTests
{
    [Fact]
    public async Task A_message_delivered_twice_is_stored_once()
    {
        await using var database = await TestDatabase.CreateAsync();
        // A one-second visibility timeout and no heartbeat: while the write is held up, SQS hands the message out again.
        await using var queues = await TestQueues.CreateAsync(maxReceiveCount: 100, visibilityTimeoutSeconds: 1);
        using var received = new MetricTotal("loginetl.messages.received");
        using var duplicates = new MetricTotal("loginetl.messages.duplicates");
        await queues.SendAsync(SampleLogins.Generate(1).Select(SampleLogins.ToJson));

        Task<int> drain;
        await using (await InboxLock.TakeAsync(database))
        {
            drain = Etl.DrainAsync(database, queues, Etl.NewKey(), "--Sqs:VisibilityHeartbeat=false");
            await Eventually.HoldsAsync(() => Task.FromResult(received.Total >= 2), "the message has been delivered twice");
        }

        Assert.Equal(0, await drain);
        Assert.Single(await database.LoginsAsync());
        Assert.True(duplicates.Total >= 1, "the second delivery was recognized as already stored");
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
        Assert.Empty(await queues.DrainDeadLettersAsync());
    }

    [Fact]
    public async Task A_slow_database_does_not_let_a_message_be_processed_twice()
    {
        await using var database = await TestDatabase.CreateAsync();
        // Held far longer than the visibility timeout: only the heartbeat keeps the messages from coming back.
        await using var queues = await TestQueues.CreateAsync(maxReceiveCount: 100, visibilityTimeoutSeconds: 2);
        using var received = new MetricTotal("loginetl.messages.received");
        using var duplicates = new MetricTotal("loginetl.messages.duplicates");
        await queues.SendAsync(SampleLogins.Generate(50).Select(SampleLogins.ToJson));

        Task<int> drain;
        await using (await InboxLock.TakeAsync(database))
        {
            drain = Etl.DrainAsync(database, queues, Etl.NewKey());
            await Eventually.HoldsAsync(() => Task.FromResult(received.Total >= 50), "every message is in flight");
            await Task.Delay(TimeSpan.FromSeconds(7));
        }

        Assert.Equal(0, await drain);
        Assert.Equal(50, received.Total);
        Assert.Equal(0, duplicates.Total);
        Assert.Equal(50, (await database.LoginsAsync()).Count);
    }

    [Fact]
    public async Task While_writes_are_held_up_no_more_than_the_in_flight_cap_is_received_and_all_is_stored_after()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync(maxReceiveCount: 100);
        using var received = new MetricTotal("loginetl.messages.received");
        await queues.SendAsync(SampleLogins.Generate(200).Select(SampleLogins.ToJson));

        Task<int> drain;
        await using (await InboxLock.TakeAsync(database))
        {
            // Eight pollers would hold 80 messages if each waited for its own batch only.
            drain = Etl.DrainAsync(database, queues, Etl.NewKey(), "--Sqs:Pollers=8", "--Sqs:MaxInFlight=30");
            await Eventually.HoldsAsync(() => Task.FromResult(received.Total >= 30), "the pollers have filled the in-flight cap");
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.Equal(30, received.Total);
        }

        Assert.Equal(0, await drain);
        Assert.Equal(200, (await database.LoginsAsync()).Count);
        Assert.Equal(200, received.Total);
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
    }

    [Fact]
    public async Task A_batch_gives_its_room_back_before_SQS_answers_its_delete_and_waiting_deletes_are_bounded()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync(maxReceiveCount: 100);
        await using var proxy = new SqsFaultProxy();
        using var received = new MetricTotal("loginetl.messages.received");
        using var stored = new MetricTotal("loginetl.messages.stored");
        await queues.SendAsync(SampleLogins.Generate(200).Select(SampleLogins.ToJson));

        // Three receives of ten in flight; every delete is held unanswered. Stored and decided, the first three batches
        // give their room back while their deletes wait; the next three are decided too, then wait for one of those
        // deletes to be answered before giving theirs back: 60 received, no more.
        proxy.Hold("DeleteMessageBatch");
        var drain = Etl.DrainAsync(database, queues, Etl.NewKey(), "--Sqs:Pollers=8", "--Sqs:MaxInFlight=30", $"--Sqs:ServiceUrl={proxy.Url}");
        await Eventually.HoldsAsync(() => Task.FromResult(received.Total >= 60), "more than the cap was received while deletes were unanswered");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(60, received.Total);
        Assert.Equal(60, stored.Total);
        Assert.Equal(3, proxy.Holding);
        proxy.Release();

        Assert.Equal(0, await drain);
        Assert.Equal(200, (await database.LoginsAsync()).Count);
        Assert.Equal(200, received.Total);
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
    }

    [Fact]
    public async Task Database_stopped_mid_run_loses_nothing_and_duplicates_nothing()
    {
        const int count = 3_000;
        await using var database = await TestDatabase.CreateAsync();
        // A low maxReceiveCount: taking messages while the database is down would push valid ones to the dead-letter queue.
        await using var queues = await TestQueues.CreateAsync(maxReceiveCount: 5);
        using var redelivered = new MetricTotal("loginetl.messages.redelivered");
        await queues.SendAsync(SampleLogins.Generate(count).Select(SampleLogins.ToJson));

        var drain = Etl.DrainAsync(database, queues, Etl.NewKey(), "--Writer:MaxBatchSize=50");
        await Eventually.HoldsAsync(async () => await database.ScalarAsync<long>("SELECT count(*) FROM user_logins") >= 200,
            "some rows are stored");

        await PostgresServer.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(20));
        Assert.False(drain.IsCompleted, "the service keeps running while the database is down");
        await PostgresServer.StartAsync();

        Assert.Equal(0, await drain);
        Assert.True(redelivered.Total > 0, "some messages failed while the database was down and were left for redelivery");
        Assert.Equal(count, await database.ScalarAsync<long>("SELECT count(*) FROM user_logins"));
        Assert.Equal(count, await database.ScalarAsync<long>("SELECT count(DISTINCT user_id) FROM user_logins"));
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
        Assert.Empty(await queues.DrainDeadLettersAsync());
    }
}
