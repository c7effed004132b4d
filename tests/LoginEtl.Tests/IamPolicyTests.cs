using System.Text.Json;
using LoginEtl.Testing;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Tests;

/// <summary>
/// deploy/aws/iam-policy.json: an IAM policy document that grants each queue the SQS actions the service's calls
/// need, and nothing else. (That the calls stay within it is proven against the emulator, by counting requests.)
/// </summary>
public class IamPolicyTests
{
    const string PolicyFile = "deploy/aws/iam-policy.json";
    const string ArnPrefix = "arn:aws:sqs:REGION:ACCOUNT:";
    const string OutboxQueue = "login-recorded";

    static readonly string MainQueue = new SqsOptions().QueueName;
    static readonly string DeadLetterQueue = new SqsOptions().DeadLetterQueueName;

    // What `run` calls on each queue, batch calls under the action that authorises them (DeleteMessageBatch is
    // sqs:DeleteMessage): receive, delete and visibility changes on the queue; the URL and attributes of both queues
    // at start and for the depth gauge; dead letters sent; outbox events sent.
    static readonly Dictionary<string, string[]> Run = new()
    {
        [MainQueue] = ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"],
        [DeadLetterQueue] = ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SendMessage"],
        [OutboxQueue] = ["sqs:GetQueueUrl", "sqs:SendMessage"],
    };

    // What the commands add: produce and redrive send to the queue; dead-letters and redrive receive from the
    // dead-letter queue and make what they leave visible again; redrive deletes what it moved.
    static readonly Dictionary<string, string[]> Commands = new()
    {
        [MainQueue] = ["sqs:SendMessage"],
        [DeadLetterQueue] = ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"],
    };

    sealed record Grant(string Sid, string Queue, string Action);

    static List<Grant> Grants()
    {
        using var policy = JsonDocument.Parse(File.ReadAllText(Repository.PathTo(PolicyFile)));
        Assert.Equal("2012-10-17", policy.RootElement.GetProperty("Version").GetString());
        var grants = new List<Grant>();
        foreach (var statement in policy.RootElement.GetProperty("Statement").EnumerateArray())
        {
            var sid = statement.GetProperty("Sid").GetString()!;
            Assert.Equal("Allow", statement.GetProperty("Effect").GetString());
            Assert.False(statement.TryGetProperty("NotAction", out _) || statement.TryGetProperty("NotResource", out _), sid);
            foreach (var resource in Strings(statement.GetProperty("Resource")))
            {
                Assert.StartsWith(ArnPrefix, resource, StringComparison.Ordinal);
                grants.AddRange(Strings(statement.GetProperty("Action")).Select(action => new Grant(sid, resource[ArnPrefix.Length..], action)));
            }
        }

        return grants;
    }

    static IEnumerable<string> Strings(JsonElement element) =>
        element.ValueKind == JsonValueKind.Array ? element.EnumerateArray().Select(e => e.GetString()!) : [element.GetString()!];

    static Dictionary<string, string[]> ByQueue(IEnumerable<Grant> grants) =>
        grants.GroupBy(g => g.Queue).ToDictionary(g => g.Key, g => g.Select(x => x.Action).Distinct().Order(StringComparer.Ordinal).ToArray());

    static Dictionary<string, string[]> Sorted(Dictionary<string, string[]> grants) =>
        grants.ToDictionary(g => g.Key, g => g.Value.Order(StringComparer.Ordinal).ToArray());

    [Fact]
    public void The_policy_names_each_action_and_queue_exactly_with_a_Sid_per_statement()
    {
        var grants = Grants();

        Assert.NotEmpty(grants);
        using (var policy = JsonDocument.Parse(File.ReadAllText(Repository.PathTo(PolicyFile))))
        {
            var sids = policy.RootElement.GetProperty("Statement").EnumerateArray().Select(s => s.GetProperty("Sid").GetString()!).ToList();
            Assert.Equal(sids.Count, sids.Distinct(StringComparer.Ordinal).Count());
            Assert.All(sids, sid => Assert.Matches("^[A-Za-z0-9]+$", sid));
        }

        Assert.All(grants, g => Assert.DoesNotContain("*", g.Action + g.Queue, StringComparison.Ordinal));
        // Batch calls are authorised by the single-message actions: an action named after a batch call does not exist.
        Assert.All(grants, g => Assert.False(g.Action.EndsWith("Batch", StringComparison.Ordinal), $"{g.Sid}: {g.Action} is not an IAM action"));
        Assert.All(grants, g => Assert.StartsWith("sqs:", g.Action, StringComparison.Ordinal));
    }

    [Fact]
    public void Run_gets_what_its_calls_need_and_the_commands_statement_adds_only_theirs()
    {
        var grants = Grants();
        var run = grants.Where(g => g.Sid.StartsWith("Run", StringComparison.Ordinal)).ToList();
        var commands = grants.Where(g => !g.Sid.StartsWith("Run", StringComparison.Ordinal)).ToList();

        Assert.Equal(Sorted(Run), ByQueue(run));
        Assert.All(commands, g => Assert.StartsWith("Commands", g.Sid, StringComparison.Ordinal));
        var all = Sorted(Run.Keys.Union(Commands.Keys).ToDictionary(q => q, q => Run.GetValueOrDefault(q, []).Union(Commands.GetValueOrDefault(q, [])).ToArray()));
        Assert.Equal(all, ByQueue(grants));
    }

    [Fact]
    public void The_operations_guide_explains_each_statement_and_the_service_account_points_at_the_policy()
    {
        var operations = File.ReadAllText(Repository.PathTo("docs/operations.md"));
        Assert.Contains(PolicyFile, operations, StringComparison.Ordinal);
        Assert.All(Grants().Select(g => g.Sid).Distinct(), sid => Assert.Contains($"| `{sid}` |", operations, StringComparison.Ordinal));
        Assert.Contains(PolicyFile, File.ReadAllText(Repository.PathTo("deploy/k8s/serviceaccount.yaml")), StringComparison.Ordinal);
    }
}
