using LoginEtl.Worker.Logins;
using LoginEtl.Worker.Persistence;

namespace LoginEtl.Worker.Sqs;

public enum SettlementKind
{
    Delete,
    Release,
    DeadLetter,
}

/// <summary>
/// What to do with one received message, decided once it has been through the pipeline: delete it (stored, or stored
/// before), release it for a later delivery after <see cref="Delay"/> (a transient failure), or move it to the
/// dead-letter queue (<see cref="Rejection"/>; released after <see cref="Delay"/> if the dead-letter queue refuses it).
/// </summary>
public readonly record struct Settlement(SettlementKind Kind, TimeSpan Delay = default, InboxKey Identity = default, Rejection? Rejection = null)
{
    public static Settlement Deleted { get; } = new(SettlementKind.Delete);

    public static Settlement Released(TimeSpan delay) => new(SettlementKind.Release, delay);

    public static Settlement DeadLettered(InboxKey identity, Rejection rejection, TimeSpan delayIfRefused) =>
        new(SettlementKind.DeadLetter, delayIfRefused, identity, rejection);
}
