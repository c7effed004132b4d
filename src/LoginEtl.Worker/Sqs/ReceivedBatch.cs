using Amazon.SQS.Model;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// The messages of one receive, owned from the receive until each is settled: their room under the in-flight cap, their
/// visibility lease, and the decision on each. Disposing the batch settles it, and a message nobody decided is
/// released (visible again after its redelivery delay), so no exception anywhere can leak room, pin a lease or lose a
/// message. Decide each message at most once; a second decision is ignored.
/// </summary>
public sealed class ReceivedBatch : IAsyncDisposable
{
    readonly SqsSettlement _owner;
    readonly Settlement?[] _decisions;
    int _disposed;

    internal ReceivedBatch(SqsSettlement owner, List<Message> messages, VisibilityHeartbeat.Lease lease)
    {
        _owner = owner;
        Messages = messages;
        Lease = lease;
        _decisions = new Settlement?[messages.Count];
    }

    /// <summary>The messages as received; emptied once they are settled.</summary>
    public List<Message> Messages { get; }

    internal VisibilityHeartbeat.Lease Lease { get; }

    public void Decide(int index, Settlement settlement)
    {
        lock (_decisions)
            _decisions[index] ??= settlement;
    }

    internal Settlement? DecisionOf(int index)
    {
        lock (_decisions)
            return _decisions[index];
    }

    /// <summary>Settles every message as decided, releasing the undecided; once.</summary>
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? new ValueTask(_owner.SettleAsync(this)) : ValueTask.CompletedTask;
}
