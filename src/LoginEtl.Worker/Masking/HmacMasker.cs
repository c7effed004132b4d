using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Masking;

/// <summary>
/// Masks a personal value with HMAC-SHA256 under a key of its own per field, so equal values give equal
/// masks (analysts can join and count) while nobody without the key can test a guess: an IPv4
/// address or a ddd-dd-dddd device id is only 2^32 or 10^9 candidates, within reach of a plain hash.
/// A mask reads <c>KEYID:BASE64URL</c>: the key id says which key made it, so keys can rotate.
/// </summary>
public sealed class HmacMasker
{
    const int StackLimit = 512;

    readonly byte[] _ipKey;
    readonly byte[] _deviceIdKey;

    public HmacMasker(IOptions<MaskingOptions> options)
        : this(DecodeKey(options.Value.Key))
    {
    }

    public HmacMasker(byte[] key)
    {
        KeyId = Convert.ToHexStringLower(Derive(key, "loginetl/key-id"), 0, 4);
        _ipKey = Derive(key, "loginetl/mask/ip");
        _deviceIdKey = Derive(key, "loginetl/mask/device_id");
    }

    /// <summary>Eight hex characters that identify the key without revealing it.</summary>
    public string KeyId { get; }

    public string MaskIp(string ip) => Mask(_ipKey, ip);

    public string MaskDeviceId(string deviceId) => Mask(_deviceIdKey, deviceId);

    string Mask(byte[] fieldKey, string value)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        var rented = byteCount > StackLimit ? ArrayPool<byte>.Shared.Rent(byteCount) : null;
        try
        {
            Span<byte> utf8 = rented ?? stackalloc byte[StackLimit];
            var written = Encoding.UTF8.GetBytes(value, utf8);

            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(fieldKey, utf8[..written], mac);

            return string.Concat(KeyId, ":", Base64Url.EncodeToString(mac));
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    static byte[] Derive(byte[] key, string purpose) =>
        HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(purpose));

    static byte[] DecodeKey(string? base64) =>
        MaskingOptionsValidator.TryDecodeKey(base64, out var key, out var error)
            ? key
            : throw new OptionsValidationException(MaskingOptions.Section, typeof(MaskingOptions), [error]);
}
