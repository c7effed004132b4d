namespace LoginEtl.Worker.Persistence;

/// <summary>An event committed with its login and not yet sent; the outbox sender deletes it once SQS has it.</summary>
public sealed class OutboxMessage
{
    public long Id { get; init; }
    public required string MessageId { get; init; }
    public required string Body { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}
