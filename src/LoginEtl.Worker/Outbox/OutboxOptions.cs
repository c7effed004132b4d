using System.ComponentModel.DataAnnotations;

namespace LoginEtl.Worker.Outbox;

public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>
    /// Queue that receives a LoginRecorded event per stored login; unset, no events are written. A standard queue:
    /// the events carry no message group, which a FIFO queue requires.
    /// </summary>
    [RegularExpression("^[A-Za-z0-9_-]{1,80}$", ErrorMessage = "Outbox__QueueName must be an SQS standard queue name: 1 to 80 letters, digits, '-' or '_'")]
    public string? QueueName { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(QueueName);
}
