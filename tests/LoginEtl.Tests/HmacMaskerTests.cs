using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Masking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LoginEtl.Tests;

/// <summary>Hash mode: <c>KEYID:BASE64URL(HMAC-SHA256(HMAC-SHA256(key, "loginetl/mask/FIELD"), UTF-8 value))</c>.</summary>
public class HmacMaskerTests
{
    const string Ip = "203.0.113.77";
    const string DeviceId = "555-12-3456";

    // 00 01 02 .. 1f: the masks below were computed for it outside .NET (Python's hmac module).
    static readonly byte[] FixedSecret = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    static HmacMasker NewMasker() => new(RandomNumberGenerator.GetBytes(32));

    [Theory]
    [InlineData(MaskedField.Ip, Ip, "fde8245f:OrjKKlcv6Ljmc3Gu4CoJMtsADstu4pE9uyC5O7kqecs")]
    [InlineData(MaskedField.DeviceId, DeviceId, "fde8245f:mgl3JakWUgZJB0QzKKp5o-svLJU7jRrAsStX2572oSI")]
    [InlineData(MaskedField.Ip, "Z\u00fcrich \U0001F600 \u65e5\u672c", "fde8245f:67OpzIPHJ_iE8EWewLigTq_DgwVwD-A5TTQ3bWdCr4c")]
    public void Masks_of_a_given_key_are_the_documented_keyed_hash_and_never_change(MaskedField field, string value, string expected)
    {
        var masker = new HmacMasker(FixedSecret);

        Assert.Equal("fde8245f", masker.KeyId);
        Assert.Equal(expected, masker.Mask(field, value));
    }

    [Fact]
    public void The_same_key_and_value_give_the_same_mask()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var masker = new HmacMasker(secret);

        Assert.Equal(masker.Mask(MaskedField.Ip, Ip), masker.Mask(MaskedField.Ip, Ip));
        Assert.Equal(masker.Mask(MaskedField.Ip, Ip), new HmacMasker(secret).Mask(MaskedField.Ip, Ip));
        Assert.Equal(masker.MaskDeviceId(DeviceId), new HmacMasker(new MaskingKey(secret)).Mask(MaskedField.DeviceId, DeviceId));
        Assert.Equal(masker.MaskIp(Ip), masker.Mask(MaskedField.Ip, Ip));
    }

    [Fact]
    public async Task Masks_computed_on_many_threads_at_once_are_the_documented_ones()
    {
        var masker = new HmacMasker(FixedSecret);
        var values = Enumerable.Range(0, 2_000).Select(i => string.Create(CultureInfo.InvariantCulture, $"10.0.{i / 256}.{i % 256}")).ToArray();
        var expected = values.Select(v => string.Concat("fde8245f:", Base64Url.EncodeToString(
            HMACSHA256.HashData(HMACSHA256.HashData(FixedSecret, "loginetl/mask/ip"u8), Encoding.UTF8.GetBytes(v))))).ToArray();

        var masks = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => values.Select(v => masker.Mask(MaskedField.Ip, v)).ToArray())));

        Assert.All(masks, m => Assert.Equal(expected, m));
    }

    [Fact]
    public void Different_values_give_different_masks()
    {
        var masker = NewMasker();

        Assert.NotEqual(masker.Mask(MaskedField.Ip, "203.0.113.77"), masker.Mask(MaskedField.Ip, "203.0.113.78"));
        Assert.NotEqual(masker.Mask(MaskedField.Ip, "203.0.113.77"), masker.Mask(MaskedField.Ip, "203.0.113.77 "));
        Assert.NotEqual(masker.Mask(MaskedField.DeviceId, "555-12-3456"), masker.Mask(MaskedField.DeviceId, "555123456"));
        Assert.NotEqual(masker.Mask(MaskedField.DeviceId, ""), masker.Mask(MaskedField.DeviceId, "0"));
    }

    [Fact]
    public void Different_keys_give_different_masks_and_key_ids()
    {
        var one = NewMasker();
        var other = NewMasker();

        Assert.NotEqual(one.KeyId, other.KeyId);
        Assert.NotEqual(one.Mask(MaskedField.Ip, Ip), other.Mask(MaskedField.Ip, Ip));
        Assert.NotEqual(Mac(one.Mask(MaskedField.Ip, Ip)), Mac(other.Mask(MaskedField.Ip, Ip)));
        Assert.NotEqual(Mac(one.Mask(MaskedField.DeviceId, DeviceId)), Mac(other.Mask(MaskedField.DeviceId, DeviceId)));
    }

    [Fact]
    public void A_configured_key_id_is_carried_but_does_not_change_the_hash()
    {
        var secret = RandomNumberGenerator.GetBytes(32);

        var named = new HmacMasker(new MaskingKey(secret, "k2026")).Mask(MaskedField.Ip, Ip);
        var derived = new HmacMasker(secret).Mask(MaskedField.Ip, Ip);

        Assert.StartsWith("k2026:", named, StringComparison.Ordinal);
        Assert.Equal(Mac(derived), Mac(named));
    }

    [Fact]
    public void The_same_value_masks_differently_as_ip_and_as_device_id()
    {
        var masker = NewMasker();

        foreach (var value in new[] { Ip, DeviceId, "", "x" })
            Assert.NotEqual(masker.Mask(MaskedField.Ip, value), masker.Mask(MaskedField.DeviceId, value));
    }

    [Fact]
    public void A_mask_is_an_eight_hex_key_id_and_an_unpadded_base64url_mac()
    {
        var masker = NewMasker();

        foreach (var field in MaskedFields.All)
        {
            foreach (var value in new[] { Ip, DeviceId, "", "\U0001F600", new string('9', 10_000) })
            {
                var mask = masker.Mask(field, value);

                Assert.Matches("^[0-9a-f]{8}:[A-Za-z0-9_-]{43}$", mask);
                Assert.True(mask.Length <= 256, $"{mask.Length} characters");
                Assert.DoesNotContain('+', mask);
                Assert.DoesNotContain('/', mask);
                Assert.DoesNotContain('=', mask);
                Assert.Equal(masker.KeyId, mask[..8]);
                Assert.Equal(32, Mac(mask).Length);
            }
        }
    }

    [Fact]
    public void No_two_of_many_distinct_ips_or_device_ids_share_a_mask()
    {
        var masker = new HmacMasker(FixedSecret);
        var random = new Random(20261125);
        var ips = new HashSet<string>(StringComparer.Ordinal);
        var deviceIds = new HashSet<string>(StringComparer.Ordinal);
        while (ips.Count < 200_000)
            ips.Add(string.Join('.', random.Next(256), random.Next(256), random.Next(256), random.Next(256)));
        while (deviceIds.Count < 200_000)
            deviceIds.Add(string.Create(CultureInfo.InvariantCulture, $"{random.Next(1000):D3}-{random.Next(100):D2}-{random.Next(10000):D4}"));

        var masks = new HashSet<string>(StringComparer.Ordinal);
        foreach (var ip in ips)
            Assert.True(masks.Add(masker.Mask(MaskedField.Ip, ip)), ip);
        foreach (var deviceId in deviceIds)
            Assert.True(masks.Add(masker.Mask(MaskedField.DeviceId, deviceId)), deviceId);

        Assert.Equal(400_000, masks.Count);
    }

    [Theory]
    [InlineData("Z\u00fcrich")]
    [InlineData("\u65e5\u672c\u8a9e")]
    [InlineData("\U0001F600\U0001F1F7\U0001F1FA")]
    [InlineData("e\u0301")]
    public void Unicode_values_are_hashed_as_utf8(string value)
    {
        var masker = new HmacMasker(FixedSecret);

        Assert.Equal(Expected(MaskedField.DeviceId, value), masker.Mask(MaskedField.DeviceId, value));
    }

    [Theory]
    [InlineData(511)]
    [InlineData(512)]
    [InlineData(513)]
    [InlineData(4_096)]
    [InlineData(300_000)]
    public void Values_on_either_side_of_the_stack_buffer_and_very_long_ones_hash_exactly_their_bytes(int bytes)
    {
        var masker = new HmacMasker(FixedSecret);
        var ascii = new string('7', bytes);
        var threeByte = new string('\u65e5', bytes / 3) + new string('7', bytes % 3);

        // Dirty the shared pool so that any byte read past the value would change the result.
        var dirty = ArrayPool<byte>.Shared.Rent(bytes);
        dirty.AsSpan().Fill(0xAB);
        ArrayPool<byte>.Shared.Return(dirty);

        Assert.Equal(Expected(MaskedField.Ip, ascii), masker.Mask(MaskedField.Ip, ascii));
        Assert.Equal(Expected(MaskedField.DeviceId, threeByte), masker.Mask(MaskedField.DeviceId, threeByte));
        Assert.NotEqual(masker.Mask(MaskedField.Ip, ascii), masker.Mask(MaskedField.Ip, ascii[..^1] + "8"));
    }

    [Fact]
    public void A_300_KB_unicode_value_gives_the_mask_computed_outside_dotnet()
    {
        var masker = new HmacMasker(FixedSecret);

        Assert.Equal("fde8245f:-bS7ly05hjEDOxxhFDZDIbyRHKdt0fOPSc3-Itw9fUE", masker.Mask(MaskedField.DeviceId, new string('\u65e5', 100_000)));
    }

    [Fact]
    public void A_key_shorter_than_32_bytes_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new HmacMasker(new byte[31]));
        Assert.Throws<ArgumentException>(() => new HmacMasker(Array.Empty<byte>()));
    }

    [Theory]
    [InlineData(null, "Masking__Key is not set")]
    [InlineData("", "Masking__Key is not set")]
    [InlineData("not base64!", "Masking__Key is not valid base64")]
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==", "Masking__Key decodes to 31 bytes; at least 32 are required")]
    public void A_configured_key_that_is_missing_not_base64_or_31_bytes_stops_the_service_naming_the_setting(string? key, string message)
    {
        using var host = MaskingHost(key);

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<MaskingKeyRing>());

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains("Masking__Key", error.Message, StringComparison.Ordinal);
        Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<MaskingOptions>>().Value);
    }

    [Fact]
    public void A_configured_32_byte_key_masks_like_the_same_bytes_given_directly()
    {
        using var host = MaskingHost(Convert.ToBase64String(FixedSecret));

        var masker = new HmacMasker(host.Services.GetRequiredService<MaskingKeyRing>().Active);

        Assert.Equal("fde8245f:OrjKKlcv6Ljmc3Gu4CoJMtsADstu4pE9uyC5O7kqecs", masker.Mask(MaskedField.Ip, Ip));
    }

    static IHost MaskingHost(string? key)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Masking:Key"] = key });
        builder.AddMasking();
        return builder.Build();
    }

    static byte[] Mac(string mask) => Base64Url.DecodeFromChars(mask.AsSpan(mask.IndexOf(':', StringComparison.Ordinal) + 1));

    // The construction written out independently of HmacMasker, for inputs too long to list.
    static string Expected(MaskedField field, string value)
    {
        var fieldKey = HMACSHA256.HashData(FixedSecret, Encoding.ASCII.GetBytes($"loginetl/mask/{field.Name()}"));
        return "fde8245f:" + Base64Url.EncodeToString(HMACSHA256.HashData(fieldKey, Encoding.UTF8.GetBytes(value)));
    }
}
