using Amazon.SQS.Model;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// How the messages of one receive from a FIFO queue are processed: each group's messages one after another, in receive
/// order (SQS hands out a group's messages in the order they were sent, and none of a group while an earlier one of it
/// is in flight anywhere), each settled before the next starts; different groups at once. A message that failed
/// transiently holds back the rest of its group: they are released with it, with its delay, and never handled, so none
/// is stored ahead of it. An invalid one is dead-lettered and its group goes on, as it never will be stored.
/// </summary>
public static class MessageGroups
{
    /// <summary>Handles every message of <paramref name="messages"/> by group; <paramref name="decide"/> hears each decision.</summary>
    /// <returns>How many messages were held back behind a failed one.</returns>
    public static async Task<int> ProcessAsync(IReadOnlyList<Message> messages, Func<Message, Task<Settlement>> handle, Action<int, Settlement> decide)
    {
        var held = await Task.WhenAll(Of(messages).Select(group => ProcessGroupAsync(messages, group, handle, decide)));
        return held.Sum();
    }

    /// <summary>The indexes of each group's messages, in receive order; a message without a group is a group of its own.</summary>
    public static IEnumerable<List<int>> Of(IReadOnlyList<Message> messages)
    {
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < messages.Count; i++)
        {
            var group = FifoMessages.GroupIdOf(messages[i]) ?? "\n" + messages[i].MessageId;
            if (!groups.TryGetValue(group, out var indexes))
                groups[group] = indexes = [];
            indexes.Add(i);
        }

        return groups.Values;
    }

    static async Task<int> ProcessGroupAsync(IReadOnlyList<Message> messages, List<int> group, Func<Message, Task<Settlement>> handle,
        Action<int, Settlement> decide)
    {
        for (var n = 0; n < group.Count; n++)
        {
            var settlement = await handle(messages[group[n]]);
            decide(group[n], settlement);
            if (settlement.Kind != SettlementKind.Release)
                continue;
            for (var later = n + 1; later < group.Count; later++)
                decide(group[later], Settlement.Released(settlement.Delay));
            return group.Count - n - 1;
        }

        return 0;
    }
}
