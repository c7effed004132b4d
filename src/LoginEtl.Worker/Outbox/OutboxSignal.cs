using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Outbox;

/// <summary>Whether the outbox is on, and a nudge from the writer to the sender when events were committed.</summary>
public sealed class OutboxSignal(IOptions<OutboxOptions> options)
{
    readonly SemaphoreSlim _committed = new(0, 1);

    public bool Enabled { get; } = options.Value.Enabled;

    public void Notify()
    {
        if (_committed.CurrentCount == 0)
        {
            try
            {
                _committed.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already nudged.
            }
        }
    }

    /// <summary>Waits for a nudge, or <paramref name="timeout"/> at most (other replicas commit events too).</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _committed.WaitAsync(timeout, cancellationToken);
}
