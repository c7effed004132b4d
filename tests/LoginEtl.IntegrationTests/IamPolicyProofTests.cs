using System.Text.Json;
using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Testing;
using Xunit.Abstractions;

namespace LoginEtl.IntegrationTests;

/// <summary>
/// deploy/aws/iam-policy.json against the calls the service really makes: its whole life (start checks, consuming,
/// dead-lettering, the visibility heartbeat, the outbox, produce, dead-letters, redrive) goes through a proxy that
/// records each SQS call and the queue it names; every call must be authorised by the policy on that queue, and every
/// action the policy grants must have been used.
/// </summary>
[Collection(IntegrationCollection.Processes)]
public class IamPolicyProofTests(ITestOutputHelper output)
{
    // The policy's resources, by the role of the queue: the test's own queues stand in for them.
    const string QueueArn = "arn:aws:sqs:REGION:ACCOUNT:login-queue";
    const string DeadLetterArn = "arn:aws:sqs:REGION:ACCOUNT:login-queue-dlq";
    const string OutboxArn = "arn:aws:sqs:REGION:ACCOUNT:login-recorded";

    // A batch call is authorised by its single-message action: there is no sqs:DeleteMessageBatch.
    static string ActionOf(string operation) => "sqs:" + (operation.EndsWith("Batch", StringComparison.Ordinal) ? operation[..^"Batch".Length] : operation);

    sealed record Grant(string Sid, string Action, string Resource);

    static List<Grant> Grants()
    {
        using var policy = JsonDocument.Parse(File.ReadAllText(Repository.PathTo("deploy/aws/iam-policy.json")));
        var grants = new List<Grant>();
        foreach (var statement in policy.RootElement.GetProperty("Statement").EnumerateArray())
        {
            Assert.Equal("Allow", statement.GetProperty("Effect").GetString());
            var resources = statement.GetProperty("Resource") is { ValueKind: JsonValueKind.Array } many
                ? many.EnumerateArray().Select(r => r.GetString()!).ToList()
                : [statement.GetProperty("Resource").GetString()!];
            foreach (var action in statement.GetProperty("Action").EnumerateArray())
                grants.AddRange(resources.Select(r => new Grant(statement.GetProperty("Sid").GetString()!, action.GetString()!, r)));
        }

        return grants;
    }

    static List<(string Action, string Resource)> Unauthorised(IEnumerable<(string Action, string Resource)> calls, IEnumerable<Grant> grants) =>
        calls.Where(c => !grants.Any(g => g.Action == c.Action && g.Resource == c.Resource)).Distinct().ToList();

    [Fact]
    public async Task The_policy_authorises_every_call_of_the_service_s_life_and_grants_nothing_unused()
    {
        await using var database = await TestDatabase.CreateAsync();
        // A short visibility timeout, and commits that gather for a second: the heartbeat renews what is held.
        await using var queues = await TestQueues.CreateAsync(visibilityTimeoutSeconds: 2);
        await using var outbox = await TestQueues.CreateAsync();
        await using var proxy = new SqsFaultProxy();
        var resources = new Dictionary<string, string>
        {
            [queues.Name] = QueueArn, [queues.DeadLetterName] = DeadLetterArn, [outbox.Name] = OutboxArn,
        };
        var settings = Etl.Settings(database, queues, Etl.NewKey(), $"--Sqs:ServiceUrl={proxy.Url}", $"--Outbox:QueueName={outbox.Name}",
            "--Writer:MinBatchSize=1000", "--Writer:BatchWait=00:00:01", "--Sqs:WaitTimeSeconds=1");
        var bodies = SampleLogins.Generate(30, seed: 3).Select(SampleLogins.ToJson).Concat(["""{"foo": 1}""", "not json"]);

        async Task RunAsync(string[] arguments, string? input = null)
        {
            var result = await Cli.RunAsync([.. arguments, .. settings], input);
            Assert.True(result.ExitCode == 0, $"login-etl {arguments[0]}: {result.Error}");
        }

        await RunAsync(["produce", "-"], string.Join('\n', bodies) + "\n");
        await RunAsync(["run", "--drain"]);
        await RunAsync(["dead-letters"]);
        await RunAsync(["redrive"]);
        await RunAsync(["run", "--drain"]);

        var calls = proxy.Calls.Select(c => (Action: ActionOf(c.Action), Resource: resources[c.Queue ?? throw new InvalidOperationException($"{c.Action} named no queue")])).ToList();
        output.WriteLine(string.Join('\n', calls.GroupBy(c => c).Select(g => $"{g.Key.Action} {g.Key.Resource}: {g.Count()}")));
        Assert.Equal(32, await database.ScalarAsync<long>("SELECT count(*) FROM user_logins") + await queues.DepthAsync(queues.DeadLetterUrl));
        var grants = Grants();

        Assert.Empty(Unauthorised(calls, grants));
        // No action is granted twice on one queue, and removing any grant leaves a call unauthorised: nothing is granted
        // that the service does not use.
        Assert.Equal(grants.Count, grants.Select(g => (g.Action, g.Resource)).Distinct().Count());
        Assert.All(grants, removed => Assert.True(Unauthorised(calls, grants.Where(g => g != removed)).Count > 0,
            $"{removed.Sid} grants {removed.Action} on {removed.Resource}, which nothing used"));
    }
}
