namespace LoginEtl.Worker.Sqs;

/// <summary>What SQS says about one delivery, handed to the consumer as a payload of the receive context.</summary>
public sealed record SqsDelivery(string MessageId, DateTimeOffset SentAt, int ReceiveCount);
