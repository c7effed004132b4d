using LoginEtl.IntegrationTests.Infrastructure;

namespace LoginEtl.IntegrationTests;

[Collection(IntegrationCollection.Name)]
public class SqsOutageTests
{
    [Fact]
    public async Task An_unreachable_queue_is_retried_until_it_answers_and_nothing_is_lost_or_stored_twice()
    {
        const int count = 3_000;
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync(maxReceiveCount: 100, visibilityTimeoutSeconds: 3);
        await using var proxy = new TcpProxy(new Uri(TestServices.SqsServiceUrl).Port);
        await queues.SendAsync(SampleLogins.Generate(count, seed: 11).Select(SampleLogins.ToJson));

        var drain = Etl.DrainAsync(database, queues, Etl.NewKey(), $"--Sqs:ServiceUrl=http://127.0.0.1:{proxy.Port}",
            "--Writer:BatchWait=00:00:00.020", "--Sqs:Pollers=4");
        await Eventually.HoldsAsync(async () => await database.ScalarAsync<long>("SELECT count(*) FROM user_logins") >= 300,
            "some rows are stored");

        proxy.Cut();
        await Task.Delay(TimeSpan.FromSeconds(8));
        var storedDuringOutage = await database.ScalarAsync<long>("SELECT count(*) FROM user_logins");
        Assert.False(drain.IsCompleted, "the service keeps running while SQS is unreachable");
        proxy.Restore();

        Assert.Equal(0, await drain);
        Assert.True(storedDuringOutage < count, "the outage happened before the queue was drained");
        Assert.Equal(count, await database.ScalarAsync<long>("SELECT count(*) FROM user_logins"));
        Assert.Equal(count, await database.ScalarAsync<long>("SELECT count(DISTINCT user_id) FROM user_logins"));
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
        Assert.Empty(await queues.DrainDeadLettersAsync());
    }
}
