using LoginEtl.Worker.Persistence;

namespace LoginEtl.Worker.Consumers;

/// <summary>
/// What the transport knows of one delivery, handed to the consumer read-only as a payload: this delivery's own id
/// and send time, the message's identity for life (the id and send time of its first delivery, which is also the
/// login's time) and how many times it has been received.
/// </summary>
public sealed record LoginDelivery(string MessageId, DateTimeOffset SentAt, InboxKey Identity, int ReceiveCount);
