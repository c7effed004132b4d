using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.SQS.Model;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Persistence;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// A message's identity for life, across the dead-letter queue and back. SQS gives every send a new id, so the
/// service's own sends (the dead-letter sender, <c>login-etl redrive</c>) carry the id and send time of the first
/// delivery in the <c>loginetl.identity</c> attribute, with an HMAC under a subkey of the masking key over them and
/// the body. A producer cannot forge it, nor move a real one to another body: an attribute that does not verify
/// is ignored, and the message is a new one. Masks made with a retired key keep verifying while that key is
/// configured (<c>Masking__RetiredKeys__ID</c>).
/// Format: <c>v1:KEYID:SENT_MS:MAC:MESSAGE_ID</c> (the id last: it is the only part that may hold a colon).
/// </summary>
public sealed class MessageIdentity
{
    public const string Attribute = "loginetl.identity";
    const string Version = "v1";
    const string Purpose = "loginetl/message-identity";

    readonly string _activeKeyId;
    readonly Dictionary<string, byte[]> _keys;

    public MessageIdentity(MaskingKeyRing keys)
    {
        _activeKeyId = keys.Active.Id;
        _keys = keys.All.ToDictionary(k => k.Key, k => k.Value.Derive(Purpose), StringComparer.Ordinal);
    }

    /// <summary>
    /// The identity of a received message: the verified attribute's, or else its own id and SentTimestamp (a message
    /// SQS itself moved to the dead-letter queue keeps both). <paramref name="forged"/> says an attribute was there
    /// and did not verify.
    /// </summary>
    public InboxKey Of(Message message, DateTimeOffset sentAt, out bool forged)
    {
        forged = false;
        if (message.MessageAttributes is { } attributes && attributes.TryGetValue(Attribute, out var value))
        {
            if (value.StringValue is { } token && TryVerify(token, message.Body, out var identity))
                return identity;
            forged = true;
        }

        return new InboxKey(message.MessageId, sentAt);
    }

    /// <summary>The attribute that carries <paramref name="identity"/> with <paramref name="body"/>, under the active key.</summary>
    public MessageAttributeValue AttributeFor(InboxKey identity, string body) => new()
    {
        DataType = "String",
        StringValue = Sign(identity, body),
    };

    public string Sign(InboxKey identity, string body)
    {
        var sentMs = identity.FirstSentAt.ToUnixTimeMilliseconds();
        var mac = Mac(_keys[_activeKeyId], identity.MessageId, sentMs, body);
        return string.Join(':', Version, _activeKeyId, sentMs.ToString(CultureInfo.InvariantCulture), Base64Url.EncodeToString(mac), identity.MessageId);
    }

    public bool TryVerify(string token, string body, out InboxKey identity)
    {
        identity = default;
        var parts = token.Split(':', 5);
        if (parts.Length != 5 || parts[0] != Version || !_keys.TryGetValue(parts[1], out var key)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sentMs)
            || sentMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() || parts[4].Length == 0)
            return false;

        byte[] claimed;
        try
        {
            claimed = Base64Url.DecodeFromChars(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }

        if (!CryptographicOperations.FixedTimeEquals(claimed, Mac(key, parts[4], sentMs, body)))
            return false;

        identity = new InboxKey(parts[4], DateTimeOffset.FromUnixTimeMilliseconds(sentMs));
        return true;
    }

    static byte[] Mac(byte[] key, string messageId, long sentMs, string body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.UTF8.GetBytes($"{Version}\n{messageId}\n{sentMs.ToString(CultureInfo.InvariantCulture)}\n"));
        hmac.AppendData(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        return hmac.GetHashAndReset();
    }
}
