using System.ComponentModel.DataAnnotations;

namespace LoginEtl.Worker.Persistence;

public sealed class InboxOptions
{
    public const string Section = "Inbox";

    /// <summary>
    /// How long after its first send a message is remembered as stored. Unset, it is what the queues can still
    /// deliver: the queue's MessageRetentionPeriod plus the dead-letter queue's (see <see cref="IRedeliveryHorizon"/>).
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "29.00:00:00", ErrorMessage = "Inbox__Window must be from 1 hour to 29 days")]
    public TimeSpan? Window { get; set; }
}

/// <summary>How long after its first send a message can still be delivered: the default inbox window.</summary>
public interface IRedeliveryHorizon
{
    TimeSpan RedeliveryHorizon { get; }
}
