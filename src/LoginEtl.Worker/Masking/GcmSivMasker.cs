using System.Buffers.Text;
using System.Text;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace LoginEtl.Worker.Masking;

/// <summary>
/// <c>Masking__Mode=encrypt</c>: deterministic authenticated encryption with AES-256-GCM-SIV (RFC 8452,
/// BouncyCastle's implementation). GCM-SIV derives its IV from the plaintext, so with a fixed nonce it is
/// a deterministic AEAD: equal values give equal masks and nothing but that equality leaks. The field name
/// is the associated data (and picks the nonce), so the same value masks differently as ip and as device_id,
/// and any change to a stored mask fails authentication on recovery.
/// A mask reads <c>enc:KEYID:BASE64URL</c> (ciphertext and 16-byte tag).
/// </summary>
public sealed class GcmSivMasker : IMasker
{
    public const string Prefix = "enc:";
    const int TagBits = 128;
    const int NonceBytes = 12;
    const int MaxMaskLength = 256;

    readonly byte[] _key;
    readonly byte[] _ipNonce;
    readonly byte[] _deviceIdNonce;

    public GcmSivMasker(MaskingKey key)
    {
        KeyId = key.Id;
        _key = key.Derive("loginetl/encrypt/aes-256-gcm-siv");
        _ipNonce = key.Derive("loginetl/encrypt/nonce/ip")[..NonceBytes];
        _deviceIdNonce = key.Derive("loginetl/encrypt/nonce/device_id")[..NonceBytes];

        // enc: + id + : + base64url(value + tag) within varchar(256).
        var payloadChars = MaxMaskLength - Prefix.Length - KeyId.Length - 1;
        MaxValueBytes = payloadChars / 4 * 3 - TagBits / 8;
    }

    public string KeyId { get; }

    public int? MaxValueBytes { get; }

    public string Mask(MaskedField field, string value)
    {
        var sealedValue = Process(forEncryption: true, field, Encoding.UTF8.GetBytes(value));
        return string.Concat(Prefix, KeyId, ":", Base64Url.EncodeToString(sealedValue));
    }

    /// <summary>Recovers a value of <paramref name="field"/>; throws <see cref="InvalidCipherTextException"/> when it does not authenticate.</summary>
    public string Unmask(MaskedField field, byte[] sealedValue) =>
        Encoding.UTF8.GetString(Process(forEncryption: false, field, sealedValue));

    byte[] Process(bool forEncryption, MaskedField field, byte[] input) =>
        Process(forEncryption, _key, field == MaskedField.Ip ? _ipNonce : _deviceIdNonce, Encoding.ASCII.GetBytes(field.Name()), input);

    /// <summary>AES-GCM-SIV as RFC 8452 defines it: the output is the ciphertext followed by the 16-byte tag.</summary>
    internal static byte[] Process(bool forEncryption, byte[] key, byte[] nonce, byte[] associatedData, byte[] input)
    {
        var cipher = new GcmSivBlockCipher();
        cipher.Init(forEncryption, new AeadParameters(new KeyParameter(key), TagBits, nonce, associatedData));

        var output = new byte[cipher.GetOutputSize(input.Length)];
        var length = cipher.ProcessBytes(input, 0, input.Length, output, 0);
        length += cipher.DoFinal(output, length);
        return length == output.Length ? output : output[..length];
    }
}
