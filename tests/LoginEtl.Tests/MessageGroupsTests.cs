using System.Collections.Concurrent;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker;
using LoginEtl.Worker.Logins;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Tests;

/// <summary>
/// The messages of one FIFO receive: a group's one at a time in receive order, groups at once, and a transient failure
/// holding back the rest of its group. (The SQS emulator hands out one message of a group per receive, so only here does
/// a receive hold several of one group.)
/// </summary>
public class MessageGroupsTests
{
    static Message InGroup(string group, int sequence) => new()
    {
        MessageId = $"{group}-{sequence}",
        Body = $"{group}-{sequence}",
        Attributes = new() { [MessageSystemAttributeName.MessageGroupId] = group },
    };

    // Three groups of four, interleaved as a receive brings them: a0 b0 c0 a1 b1 c1 ...
    static List<Message> Interleaved(int groups = 3, int each = 4) =>
        [.. Enumerable.Range(0, groups * each).Select(i => InGroup(((char)('a' + i % groups)).ToString(), i / groups))];

    [Fact]
    public async Task A_groups_messages_run_one_at_a_time_in_receive_order_and_groups_run_at_once()
    {
        var messages = Interleaved();
        var started = new ConcurrentQueue<string>();
        var running = new ConcurrentDictionary<string, int>();
        var (concurrent, mostConcurrent) = (0, 0);
        var decisions = new Settlement?[messages.Count];

        var held = await MessageGroups.ProcessAsync(messages, async message =>
        {
            var group = message.MessageId[..1];
            Assert.Equal(1, running.AddOrUpdate(group, 1, (_, n) => n + 1));
            started.Enqueue(message.MessageId);
            var now = Interlocked.Increment(ref concurrent);
            InterlockedMax(ref mostConcurrent, now);
            await Task.Delay(20);
            Interlocked.Decrement(ref concurrent);
            running.AddOrUpdate(group, 0, (_, n) => n - 1);
            return Settlement.Deleted;
        }, (i, s) => decisions[i] = s);

        Assert.Equal(0, held);
        Assert.All(decisions, d => Assert.Equal(SettlementKind.Delete, d!.Value.Kind));
        foreach (var group in started.GroupBy(id => id[..1]))
            Assert.Equal(["0", "1", "2", "3"], group.Select(id => id[2..]));
        Assert.Equal(3, mostConcurrent);
    }

    [Fact]
    public async Task A_transient_failure_holds_back_the_rest_of_its_group_with_its_delay_and_the_others_go_on()
    {
        var messages = Interleaved();
        var handled = new ConcurrentQueue<string>();
        var decisions = new Settlement?[messages.Count];
        var delay = TimeSpan.FromSeconds(7);

        var held = await MessageGroups.ProcessAsync(messages, message =>
        {
            handled.Enqueue(message.MessageId);
            return Task.FromResult(message.MessageId switch
            {
                "a-1" => Settlement.Released(delay),
                "b-2" => Settlement.DeadLettered(new InboxKey("b-2", DateTimeOffset.UnixEpoch), new Rejection(InvalidKinds.MalformedJson, "no"), delay),
                _ => Settlement.Deleted,
            });
        }, (i, s) => decisions[i] = s);

        Assert.Equal(2, held);
        Assert.Equal(["a-0", "a-1"], handled.Where(id => id[0] == 'a'));
        Assert.Equal(["b-0", "b-1", "b-2", "b-3"], handled.Where(id => id[0] == 'b'));
        Assert.Equal(4, handled.Count(id => id[0] == 'c'));
        var byId = messages.Select((m, i) => (m.MessageId, Decision: decisions[i]!.Value)).ToDictionary(d => d.MessageId, d => d.Decision);
        Assert.Equal(SettlementKind.Delete, byId["a-0"].Kind);
        foreach (var id in (string[])["a-1", "a-2", "a-3"])
            Assert.Equal((SettlementKind.Release, delay), (byId[id].Kind, byId[id].Delay));
        Assert.Equal(SettlementKind.DeadLetter, byId["b-2"].Kind);
        Assert.Equal(SettlementKind.Delete, byId["b-3"].Kind);
    }

    [Fact]
    public async Task Messages_without_a_group_each_run_on_their_own()
    {
        List<Message> messages = [.. Enumerable.Range(0, 5).Select(i => new Message { MessageId = $"m{i}", Body = "{}" })];
        var gate = new TaskCompletionSource<Settlement>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        var processing = MessageGroups.ProcessAsync(messages, _ =>
        {
            if (Interlocked.Increment(ref started) == messages.Count)
                gate.SetResult(Settlement.Deleted);
            return gate.Task;
        }, (_, _) => { });

        // Each waits for all five to have started: they could not if any waited for another.
        await processing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(5, started);
    }

    [Fact]
    public void A_fifo_queue_and_a_standard_dead_letter_queue_are_refused_naming_both()
    {
        var error = Assert.Throws<StartupException>(() => SqsQueues.CheckKinds("logins.fifo", "logins-dlq"));
        Assert.Equal("logins.fifo (Sqs__QueueName) is a FIFO queue and logins-dlq (Sqs__DeadLetterQueueName) is a standard queue: a FIFO " +
            "queue needs a FIFO dead-letter queue and a standard queue a standard one; name both with the .fifo suffix, or neither", error.Message);
        Assert.Contains("logins-dlq.fifo (Sqs__DeadLetterQueueName) is a FIFO queue and logins (Sqs__QueueName) is a standard queue",
            Assert.Throws<StartupException>(() => SqsQueues.CheckKinds("logins", "logins-dlq.fifo")).Message, StringComparison.Ordinal);
        SqsQueues.CheckKinds("logins.fifo", "logins-dlq.fifo");
        SqsQueues.CheckKinds("logins", "logins-dlq");
    }

    [Fact]
    public void A_copy_moved_again_has_the_same_deduplication_id_and_a_new_copy_a_new_one()
    {
        var identity = new InboxKey(Guid.NewGuid().ToString(), DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_000));
        var copy = InGroup("g", 1);
        var id = FifoMessages.DeduplicationIdFor(identity, copy);

        Assert.Matches("^[0-9a-f]{64}$", id);
        Assert.Equal(id, FifoMessages.DeduplicationIdFor(identity, InGroup("g", 1)));
        Assert.NotEqual(id, FifoMessages.DeduplicationIdFor(identity, InGroup("g", 2)));
        Assert.NotEqual(id, FifoMessages.DeduplicationIdFor(new InboxKey(identity.MessageId, identity.FirstSentAt.AddMilliseconds(1)), copy));
        var entry = new SendMessageBatchRequestEntry("0", copy.Body).ForFifo(copy, identity);
        Assert.Equal(("g", id), (entry.MessageGroupId, entry.MessageDeduplicationId));
        var groupless = new Message { MessageId = "m", Body = "{}" };
        Assert.Equal(identity.MessageId, new SendMessageBatchRequestEntry("0", "{}").ForFifo(groupless, identity).MessageGroupId);
    }

    static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
