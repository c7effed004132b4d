using System.Security.Cryptography;
using System.Text;

namespace LoginEtl.Worker.Persistence;

/// <summary>
/// What the inbox remembers of a stored message: the id and send time of its first delivery, the same for every
/// later delivery of it (a redelivery, a dead letter, a redrive). The send time places the entry in the inbox's
/// window (see <see cref="InboxLayout"/>) and leads its index, so that a commit only touches the newest pages of
/// one partition however many entries the window holds.
/// </summary>
public readonly record struct InboxKey
{
    public InboxKey(string messageId, DateTimeOffset firstSentAt)
    {
        MessageId = messageId;
        // SQS times are whole milliseconds; other transports' are truncated to them, so that the key read back from
        // the database (microseconds) is the key written.
        FirstSentAt = DateTimeOffset.FromUnixTimeMilliseconds(firstSentAt.ToUnixTimeMilliseconds());
        IsUuid = Guid.TryParseExact(messageId, "D", out var uuid);
        Key = IsUuid ? uuid : NameBased(messageId);
    }

    public string MessageId { get; }

    public DateTimeOffset FirstSentAt { get; }

    /// <summary>
    /// The key as stored: an id that is a UUID (as SQS message ids are) as its 16 bytes; any other id as a
    /// name-based UUID of its UTF-8 text (SHA-256, version 8), with the text kept beside it.
    /// </summary>
    public Guid Key { get; }

    public bool IsUuid { get; }

    /// <summary>The id as text when <see cref="Key"/> does not give it back; null for a UUID.</summary>
    public string? TextId => IsUuid ? null : MessageId;

    public short Slot => InboxLayout.SlotOf(FirstSentAt);

    // Version 8 (RFC 9562, custom): never equal to a random (version 4) SQS id. The migration that moved the text
    // ids of the first inbox computes the same value in SQL.
    static Guid NameBased(string id)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(id), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
