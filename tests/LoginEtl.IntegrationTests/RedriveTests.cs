using Amazon.SQS.Model;
using LoginEtl.IntegrationTests.Infrastructure;

namespace LoginEtl.IntegrationTests;

[Collection(IntegrationCollection.Name)]
public class RedriveTests
{
    [Fact]
    public async Task Redrive_moves_dead_letters_back_with_their_body_and_attributes()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var key = Etl.NewKey();
        var bodies = Enumerable.Range(0, 5).Select(i => $$"""{"user_id": "u{{i}}", "device_type": "ios", "ip": "10.0.0.{{i}}", "device_id": "1", "locale": null, "app_version": "v{{i}}"}""").ToList();
        foreach (var body in bodies)
        {
            await queues.Sqs.SendMessageAsync(new SendMessageRequest(queues.Url, body)
            {
                MessageAttributes = new() { ["producer"] = new MessageAttributeValue { DataType = "String", StringValue = "mobile-gateway" } },
            });
        }

        Assert.Equal(0, await Etl.DrainAsync(database, queues, key));
        Assert.Equal(5, await queues.DepthAsync(queues.DeadLetterUrl));
        string[] settings = [$"--Sqs:QueueName={queues.Name}", $"--Sqs:DeadLetterQueueName={queues.DeadLetterName}"];

        var one = await Cli.RunAsync(["redrive", "--max", "2", .. settings]);
        Assert.True(one.ExitCode == 0, one.Error);
        Assert.Contains("Moved 2 message(s)", one.Output, StringComparison.Ordinal);
        Assert.Equal(3, await queues.DepthAsync(queues.DeadLetterUrl));
        Assert.Equal(2, await queues.DepthAsync(queues.Url));
        var all = await Cli.RunAsync(["redrive", .. settings]);
        Assert.Contains("Moved 3 message(s)", all.Output, StringComparison.Ordinal);
        Assert.Equal(0, await queues.DepthAsync(queues.DeadLetterUrl));

        var redriven = new List<Message>();
        while (redriven.Count < 5)
        {
            var response = await queues.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(queues.Url) { MaxNumberOfMessages = 10, MessageAttributeNames = ["All"], WaitTimeSeconds = 1 });
            redriven.AddRange(response.Messages ?? []);
        }

        Assert.Equal(bodies.Order(), redriven.Select(m => m.Body).Order());
        Assert.All(redriven, m => Assert.Equal("mobile-gateway", m.MessageAttributes["producer"].StringValue));
        Assert.All(redriven, m => Assert.DoesNotContain(m.MessageAttributes.Keys, k => k.StartsWith("loginetl.", StringComparison.Ordinal)));
    }
}
