using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using LoginEtl.IntegrationTests.Infrastructure;

namespace LoginEtl.IntegrationTests;

[Collection(IntegrationCollection.Alone)]
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
        // Every SQS call the service makes, as its messaging.client.operation.duration records it.
        var calls = new ConcurrentQueue<(string Operation, string? ErrorType)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "LoginEtl" && instrument.Name == "messaging.client.operation.duration")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            string? operation = null, errorType = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "messaging.operation.name")
                    operation = (string?)tag.Value;
                else if (tag.Key == "error.type")
                    errorType = (string?)tag.Value;
            }

            calls.Enqueue((operation!, errorType));
        });
        listener.Start();

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
        // The calls cut off are counted as failed, by the exception that ended them; the others as answered.
        Assert.Contains(calls, c => c.Operation == "ReceiveMessage" && c.ErrorType is "HttpRequestException" or "IOException" or "SocketException");
        Assert.Contains(calls, c => c.Operation == "ReceiveMessage" && c.ErrorType is null);
        Assert.Contains(calls, c => c.Operation == "DeleteMessageBatch" && c.ErrorType is null);
    }
}
