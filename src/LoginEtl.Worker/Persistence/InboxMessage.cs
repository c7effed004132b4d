namespace LoginEtl.Worker.Persistence;

/// <summary>
/// A message that has been stored, keyed by its SQS message id. Committed in the same transaction as its
/// row, it turns every later delivery of the same message into a no-op.
/// </summary>
public sealed class InboxMessage
{
    public required string MessageId { get; init; }
    public DateTimeOffset StoredAt { get; init; }
}
