namespace LoginEtl.Worker.Outbox;

public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>Queue that receives a LoginRecorded event per stored login; unset, no events are written.</summary>
    public string? QueueName { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(QueueName);
}
