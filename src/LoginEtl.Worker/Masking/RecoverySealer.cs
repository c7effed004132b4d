using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace LoginEtl.Worker.Masking;

/// <summary>
/// Seals an original value so that only the holder of the recovery private key can open it; the service,
/// which holds just the public key, cannot. Hybrid encryption: a fresh AES-256-GCM key per value encrypts it,
/// with the mask and the field name as associated data (a sealed value cannot be moved to another mask),
/// and RSA-OAEP-SHA256 wraps that key for the recovery public key (3072 bits or more).
/// Layout: version (1) | wrapped key length (2, big endian) | wrapped key | nonce (12) | tag (16) | ciphertext.
/// </summary>
public sealed class RecoverySealer : IDisposable
{
    public const int MinKeyBits = 3072;
    const byte Version = 1;
    const int NonceBytes = 12;
    const int TagBytes = 16;

    readonly RSA _publicKey;

    public RecoverySealer(RSA publicKey)
    {
        if (publicKey.KeySize < MinKeyBits)
            throw new ArgumentException($"The recovery key has {publicKey.KeySize} bits; at least {MinKeyBits} are required", nameof(publicKey));

        _publicKey = publicKey;
        Fingerprint = FingerprintOf(publicKey);
    }

    /// <summary>Identifies the recovery key pair: the first 16 hex characters of SHA-256 over the public key.</summary>
    public string Fingerprint { get; }

    public static string FingerprintOf(RSA key) =>
        Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()), 0, 8);

    public byte[] Seal(string mask, MaskedField field, string value)
    {
        Span<byte> dataKey = stackalloc byte[32];
        RandomNumberGenerator.Fill(dataKey);
        var wrapped = _publicKey.Encrypt(dataKey.ToArray(), RSAEncryptionPadding.OaepSHA256);
        var plaintext = Encoding.UTF8.GetBytes(value);

        var output = new byte[1 + 2 + wrapped.Length + NonceBytes + TagBytes + plaintext.Length];
        output[0] = Version;
        BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(1), (ushort)wrapped.Length);
        wrapped.CopyTo(output, 3);
        var nonce = output.AsSpan(3 + wrapped.Length, NonceBytes);
        var tag = output.AsSpan(3 + wrapped.Length + NonceBytes, TagBytes);
        var ciphertext = output.AsSpan(3 + wrapped.Length + NonceBytes + TagBytes);
        RandomNumberGenerator.Fill(nonce);

        using var aes = new AesGcm(dataKey, TagBytes);
        aes.Encrypt(nonce, plaintext, ciphertext, tag, AssociatedData(mask, field));
        CryptographicOperations.ZeroMemory(dataKey);
        return output;
    }

    /// <summary>Opens a sealed value with the recovery private key; throws <see cref="CryptographicException"/> if it does not authenticate.</summary>
    public static string Open(RSA privateKey, string mask, MaskedField field, byte[] sealedValue)
    {
        if (sealedValue.Length < 3 || sealedValue[0] != Version)
            throw new CryptographicException("The recovery record has an unknown format");

        var wrappedLength = BinaryPrimitives.ReadUInt16BigEndian(sealedValue.AsSpan(1));
        if (sealedValue.Length < 3 + wrappedLength + NonceBytes + TagBytes)
            throw new CryptographicException("The recovery record is truncated");

        var dataKey = privateKey.Decrypt(sealedValue.AsSpan(3, wrappedLength).ToArray(), RSAEncryptionPadding.OaepSHA256);
        var nonce = sealedValue.AsSpan(3 + wrappedLength, NonceBytes);
        var tag = sealedValue.AsSpan(3 + wrappedLength + NonceBytes, TagBytes);
        var ciphertext = sealedValue.AsSpan(3 + wrappedLength + NonceBytes + TagBytes);
        var plaintext = new byte[ciphertext.Length];

        using var aes = new AesGcm(dataKey, TagBytes);
        aes.Decrypt(nonce, ciphertext, tag, plaintext, AssociatedData(mask, field));
        return Encoding.UTF8.GetString(plaintext);
    }

    static byte[] AssociatedData(string mask, MaskedField field) => Encoding.UTF8.GetBytes($"{field.Name()}\n{mask}");

    public void Dispose() => _publicKey.Dispose();
}
