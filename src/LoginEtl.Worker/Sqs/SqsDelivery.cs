namespace LoginEtl.Worker.Sqs;

/// <summary>What SQS says about one delivery, handed to the consumer as a payload of the receive context.</summary>
public sealed record SqsDelivery(string MessageId, DateTimeOffset SentAt, int ReceiveCount)
{
    /// <summary>Why the consumer refused the message, when it did: the endpoint dead-letters it.</summary>
    public DeadLetterReason? Rejection { get; private set; }

    /// <summary>
    /// Refuses the message without failing the receive pipeline: an invalid event is an expected outcome,
    /// not an error to record, retry and unwind through every filter.
    /// </summary>
    public void Reject(DeadLetterReason reason) => Rejection = reason;
}
