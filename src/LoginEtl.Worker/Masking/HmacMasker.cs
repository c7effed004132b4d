using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace LoginEtl.Worker.Masking;

/// <summary>
/// <c>Masking__Mode=hash</c>: HMAC-SHA256 under a subkey of its own per field. Equal values give equal masks
/// (analysts can join and count) while nobody without the key can test a guess: an IPv4 address or a
/// ddd-dd-dddd device id is only 2^32 or 10^9 candidates, within reach of a plain hash. Not reversible.
/// A mask reads <c>KEYID:BASE64URL</c> (the 32-byte MAC).
/// </summary>
public sealed class HmacMasker : IMasker
{
    const int StackLimit = 512;

    // One keyed HMAC per thread and field, reset after each value: the one-shot API sets up the MAC and its
    // key again for every call, which cost more than hashing a value this short.
    readonly ThreadLocal<IncrementalHash> _ipMac;
    readonly ThreadLocal<IncrementalHash> _deviceIdMac;

    public HmacMasker(MaskingKey key)
    {
        KeyId = key.Id;
        var ipKey = key.Derive("loginetl/mask/ip");
        var deviceIdKey = key.Derive("loginetl/mask/device_id");
        _ipMac = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, ipKey));
        _deviceIdMac = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, deviceIdKey));
    }

    public HmacMasker(byte[] secret)
        : this(new MaskingKey(secret))
    {
    }

    public string KeyId { get; }

    public int? MaxValueBytes => null;

    public string MaskIp(string ip) => Mask(MaskedField.Ip, ip);

    public string MaskDeviceId(string deviceId) => Mask(MaskedField.DeviceId, deviceId);

    public string Mask(MaskedField field, string value)
    {
        var hmac = (field == MaskedField.Ip ? _ipMac : _deviceIdMac).Value!;
        var byteCount = Encoding.UTF8.GetByteCount(value);
        var rented = byteCount > StackLimit ? ArrayPool<byte>.Shared.Rent(byteCount) : null;
        try
        {
            Span<byte> utf8 = rented ?? stackalloc byte[StackLimit];
            var written = Encoding.UTF8.GetBytes(value, utf8);

            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            hmac.AppendData(utf8[..written]);
            hmac.GetHashAndReset(mac);

            return string.Concat(KeyId, ":", Base64Url.EncodeToString(mac));
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
