using System.Globalization;
using System.Security.Cryptography;
using LoginEtl.Worker.Logins;
using LoginEtl.Worker.Masking;

namespace LoginEtl.Tests;

public class MaskingTests
{
    static MaskingKey NewKey(string? id = null) => new(RandomNumberGenerator.GetBytes(32), id);

    public static TheoryData<string> Modes => new() { MaskingModes.Hash, MaskingModes.Encrypt };

    static IMasker Masker(string mode, MaskingKey key) =>
        mode == MaskingModes.Encrypt ? new GcmSivMasker(key) : new HmacMasker(key);

    [Theory]
    [MemberData(nameof(Modes))]
    public void Equal_values_give_equal_masks_and_other_keys_other_masks(string mode)
    {
        var key = NewKey();
        var masker = Masker(mode, key);
        var again = Masker(mode, key);
        var other = Masker(mode, NewKey());

        Assert.Equal(masker.Mask(MaskedField.Ip, "203.0.113.9"), again.Mask(MaskedField.Ip, "203.0.113.9"));
        Assert.NotEqual(masker.Mask(MaskedField.Ip, "203.0.113.9"), masker.Mask(MaskedField.Ip, "203.0.113.10"));
        Assert.NotEqual(masker.Mask(MaskedField.Ip, "203.0.113.9"), other.Mask(MaskedField.Ip, "203.0.113.9"));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void The_same_value_masks_differently_as_ip_and_as_device_id(string mode)
    {
        var masker = Masker(mode, NewKey());

        Assert.NotEqual(masker.Mask(MaskedField.Ip, "555-12-3456"), masker.Mask(MaskedField.DeviceId, "555-12-3456"));
    }

    [Fact]
    public void Masks_carry_the_key_id_and_never_the_value()
    {
        var hash = new HmacMasker(NewKey("k2026"));
        var encrypt = new GcmSivMasker(NewKey("k2026"));

        Assert.Matches("^k2026:[A-Za-z0-9_-]{43}$", hash.Mask(MaskedField.Ip, "203.0.113.9"));
        Assert.Matches("^enc:k2026:[A-Za-z0-9_-]+$", encrypt.Mask(MaskedField.Ip, "203.0.113.9"));
        Assert.DoesNotContain("203.0.113.9", encrypt.Mask(MaskedField.Ip, "203.0.113.9"), StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f]{8}$", NewKey().Id);
    }

    [Fact]
    public void Encrypt_mode_fits_its_longest_value_in_256_characters_and_refuses_longer()
    {
        var ring = Ring(MaskingModes.Encrypt, Secret(), "a-long-key-id-of-32-characters-x");
        var masker = new GcmSivMasker(ring.Active);
        var longest = new string('9', masker.MaxValueBytes!.Value);
        using var masking = new LoginMasking(ring);
        var login = new ValidLoginEvent("u", "ios", longest + "9", "555-12-3456", null, 1);

        Assert.True(masker.Mask(MaskedField.Ip, longest).Length <= 256);
        Assert.InRange(masker.MaxValueBytes.Value, 100, 200);
        Assert.False(masking.TryMask(login, out _, out var rejection));
        Assert.Equal(InvalidKinds.TooLong, rejection.Kind);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void No_two_of_many_distinct_ips_or_device_ids_share_a_mask(string mode)
    {
        var masker = Masker(mode, NewKey());
        var random = new Random(20261125);
        var ips = new HashSet<string>();
        var deviceIds = new HashSet<string>();
        while (ips.Count < 100_000)
            ips.Add(string.Join('.', Enumerable.Range(0, 4).Select(_ => random.Next(256).ToString(CultureInfo.InvariantCulture))));
        while (deviceIds.Count < 100_000)
            deviceIds.Add($"{random.Next(1000):D3}-{random.Next(100):D2}-{random.Next(10000):D4}");

        var masks = new HashSet<string>();
        foreach (var ip in ips)
            Assert.True(masks.Add(masker.Mask(MaskedField.Ip, ip)));
        foreach (var deviceId in deviceIds)
            Assert.True(masks.Add(masker.Mask(MaskedField.DeviceId, deviceId)));
    }

    [Fact]
    public void Encrypt_masks_unmask_with_the_key_that_made_them_even_after_rotation()
    {
        var oldSecret = Secret();
        var oldMask = new GcmSivMasker(Ring(MaskingModes.Encrypt, oldSecret, "k1").Active).Mask(MaskedField.DeviceId, "555-12-3456");
        var ring = Ring(MaskingModes.Encrypt, Secret(), "k2", new() { ["k1"] = oldSecret });
        var newMask = new GcmSivMasker(ring.Active).Mask(MaskedField.Ip, "203.0.113.9");

        Assert.StartsWith("enc:k2:", newMask, StringComparison.Ordinal);
        Assert.Equal((MaskedField.DeviceId, "555-12-3456"), Unmasker.Decrypt(ring, oldMask));
        Assert.Equal((MaskedField.Ip, "203.0.113.9"), Unmasker.Decrypt(ring, newMask));
    }

    [Fact]
    public void Unmasking_a_tampered_value_an_unknown_key_id_or_a_hash_mask_fails_clearly()
    {
        var ring = Ring(MaskingModes.Encrypt, Secret(), "k1");
        var key = ring.Active;
        var mask = new GcmSivMasker(key).Mask(MaskedField.Ip, "203.0.113.9");
        var tampered = mask[..^2] + (mask[^2] == 'A' ? "B" : "A") + mask[^1];
        var lastCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".Where(c => c != mask[^1]).Select(c => mask[..^1] + c);
        var otherKeySameId = new GcmSivMasker(NewKey("k1")).Mask(MaskedField.Ip, "203.0.113.9");

        Assert.Contains("does not authenticate", Assert.Throws<UnmaskException>(() => Unmasker.Decrypt(ring, tampered)).Message, StringComparison.Ordinal);
        Assert.All(lastCharacters, altered => Assert.Throws<UnmaskException>(() => Unmasker.Decrypt(ring, altered)));
        Assert.Contains("malformed", Assert.Throws<UnmaskException>(() => Unmasker.Decrypt(ring, mask + "!")).Message, StringComparison.Ordinal);
        Assert.Contains("does not authenticate", Assert.Throws<UnmaskException>(() => Unmasker.Decrypt(ring, otherKeySameId)).Message, StringComparison.Ordinal);
        Assert.Contains("no key with id 'k9'", Assert.Throws<UnmaskException>(() => Unmasker.Decrypt(ring, mask.Replace("enc:k1:", "enc:k9:", StringComparison.Ordinal))).Message, StringComparison.Ordinal);
        Assert.Contains("hash-mode", Assert.Throws<UnmaskException>(() => Unmasker.Decrypt(ring, new HmacMasker(key).Mask(MaskedField.Ip, "x"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_recovery_record_opens_only_with_the_private_key_and_only_for_its_mask()
    {
        using var pair = RSA.Create(3072);
        using var other = RSA.Create(3072);
        using var sealer = new RecoverySealer(RSA.Create(pair.ExportParameters(false)));
        var sealedValue = sealer.Seal("k1:mask", MaskedField.Ip, "203.0.113.9");

        Assert.Equal("203.0.113.9", Unmasker.Recover(pair, "k1:mask", MaskedField.Ip, sealer.Fingerprint, sealedValue));
        Assert.Throws<UnmaskException>(() => Unmasker.Recover(other, "k1:mask", MaskedField.Ip, sealer.Fingerprint, sealedValue));
        Assert.Throws<UnmaskException>(() => Unmasker.Recover(pair, "k1:other-mask", MaskedField.Ip, sealer.Fingerprint, sealedValue));
        var tampered = (byte[])sealedValue.Clone();
        tampered[^1] ^= 0x01;
        Assert.Throws<UnmaskException>(() => Unmasker.Recover(pair, "k1:mask", MaskedField.Ip, sealer.Fingerprint, tampered));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void A_recovered_value_is_checked_by_masking_it_again_with_the_key_of_its_mask(string mode)
    {
        var oldSecret = Secret();
        var old = Ring(mode, oldSecret, "k1");
        var ring = Ring(mode, Secret(), "k2", new() { ["k1"] = oldSecret });
        IMasker Masker(MaskingKeyRing keys) => mode == MaskingModes.Encrypt ? new GcmSivMasker(keys.Active) : new HmacMasker(keys.Active);
        var oldMask = Masker(old).Mask(MaskedField.Ip, "203.0.113.9");
        var newMask = Masker(ring).Mask(MaskedField.DeviceId, "555-12-3456");

        Unmasker.CheckRecovered(ring, oldMask, MaskedField.Ip, "203.0.113.9");
        Unmasker.CheckRecovered(ring, newMask, MaskedField.DeviceId, "555-12-3456");
        foreach (var (mask, field, value) in new[]
                 {
                     (oldMask, MaskedField.Ip, "203.0.113.10"),       // another value sealed for the mask
                     (newMask, MaskedField.DeviceId, "203.0.113.9"),  // the value of another mask
                     (oldMask, MaskedField.DeviceId, "203.0.113.9"),  // the right value as the other field
                 })
        {
            var refused = Assert.Throws<UnmaskException>(() => Unmasker.CheckRecovered(ring, mask, field, value));
            Assert.StartsWith("the recovery record does not match its mask", refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(value, refused.Message, StringComparison.Ordinal);
        }

        var unknown = Assert.Throws<UnmaskException>(() => Unmasker.CheckRecovered(Ring(mode, Secret(), "k3"), oldMask, MaskedField.Ip, "203.0.113.9"));
        Assert.StartsWith("no key with id 'k1' is configured", unknown.Message, StringComparison.Ordinal);
    }

    static string Secret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    static MaskingKeyRing Ring(string mode, string secret, string? keyId = null, Dictionary<string, string>? retired = null) =>
        MaskingKeyRing.Load(new MaskingOptions { Mode = mode, Key = secret, KeyId = keyId, RetiredKeys = retired ?? [] });
}
