using System.Security.Cryptography;
using System.Text;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Persistence;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// What a FIFO queue asks of a send, and what it says of a received message. SQS knows a FIFO queue by its name alone
/// (it must end in <c>.fifo</c>), so the service does too; a FIFO queue refuses a send without a
/// <c>MessageGroupId</c>, and one without a <c>MessageDeduplicationId</c> unless content-based deduplication is on.
/// </summary>
public static class FifoMessages
{
    public const string Suffix = ".fifo";

    public static bool IsFifo(string queueName) => queueName.EndsWith(Suffix, StringComparison.Ordinal);

    /// <summary>The message's group on a FIFO queue; null on a standard queue.</summary>
    public static string? GroupIdOf(Message message) =>
        message.Attributes?.GetValueOrDefault(MessageSystemAttributeName.MessageGroupId) is { Length: > 0 } group ? group : null;

    /// <summary>
    /// The group a copy of <paramref name="message"/> is sent with: its own, so that a dead letter and a redriven
    /// message keep their group's order; a message without one (sent to a standard queue before the queues were FIFO)
    /// gets its identity's id, a group of its own.
    /// </summary>
    public static string GroupIdFor(Message message, InboxKey identity) => GroupIdOf(message) ?? identity.MessageId;

    /// <summary>
    /// The deduplication id of a copy of <paramref name="message"/>: the message's identity and the id of the copy
    /// being moved, hashed to 64 hex digits (SQS takes at most 128 characters). Moving the same copy again (a redrive
    /// interrupted between its send and its delete, and run again; a replica stopped between the dead-letter queue's
    /// answer and its delete) is the same id, so SQS keeps one within its five-minute deduplication window, and the
    /// inbox makes a later one harmless. A new copy of the same identity (dead-lettered again after a redrive) has a new
    /// id, so it is never deduplicated away: the identity alone would drop a message redriven, dead-lettered and
    /// redriven again within five minutes.
    /// </summary>
    public static string DeduplicationIdFor(InboxKey identity, Message message)
    {
        var text = $"{identity.MessageId}\n{identity.FirstSentAt.ToUnixTimeMilliseconds()}\n{message.MessageId}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Gives <paramref name="entry"/>, bound for a FIFO queue, the group and deduplication id of the copy it carries.</summary>
    public static SendMessageBatchRequestEntry ForFifo(this SendMessageBatchRequestEntry entry, Message message, InboxKey identity)
    {
        entry.MessageGroupId = GroupIdFor(message, identity);
        entry.MessageDeduplicationId = DeduplicationIdFor(identity, message);
        return entry;
    }
}
