using System.Security.Cryptography;
using LoginEtl.Worker.Masking;
using Microsoft.Extensions.Options;

namespace LoginEtl.Tests;

/// <summary>Every bad masking setting stops the service with a message that names it.</summary>
public class MaskingSettingsTests
{
    static readonly string Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    static string LoadError(MaskingOptions options) =>
        string.Join("; ", Assert.Throws<OptionsValidationException>(() => MaskingKeyRing.Load(options)).Failures);

    [Fact]
    public void An_unknown_mode_is_refused()
    {
        Assert.Contains("Masking__Mode must be 'hash' or 'encrypt'", LoadError(new MaskingOptions { Mode = "rot13", Key = Key }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "Masking__Key is not set")]
    [InlineData("not base64!", "Masking__Key is not valid base64")]
    [InlineData("c2hvcnQ=", "Masking__Key decodes to 5 bytes; at least 32 are required")]
    public void A_missing_or_short_key_is_refused(string? key, string message)
    {
        Assert.Contains(message, LoadError(new MaskingOptions { Key = key }), StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_id_without_a_key_is_refused()
    {
        Assert.Contains("Masking__KeyId is set but Masking__Key is not", LoadError(new MaskingOptions { KeyId = "k1" }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("enc")]
    [InlineData("has:colon")]
    [InlineData("a-key-id-of-thirty-three-chars-xx")]
    public void A_key_id_that_would_make_masks_ambiguous_is_refused(string keyId)
    {
        Assert.Contains("Masking__KeyId must be", LoadError(new MaskingOptions { Key = Key, KeyId = keyId }), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_retired_key_is_refused_by_its_own_setting_name()
    {
        var options = new MaskingOptions { Key = Key, KeyId = "k2", RetiredKeys = new() { ["k1"] = "c2hvcnQ=", ["k2"] = Key } };

        var error = LoadError(options);

        Assert.Contains("Masking__RetiredKeys__k1 decodes to 5 bytes", error, StringComparison.Ordinal);
        Assert.Contains("Masking__RetiredKeys__k2: the active key has the same id", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_or_weak_recovery_key_is_refused()
    {
        using var weak = RSA.Create(2048);

        Assert.Contains("Masking__RecoveryPublicKey: cannot read the PEM file",
            LoadError(new MaskingOptions { Key = Key, RecoveryPublicKey = "/no/such/recovery.pem" }), StringComparison.Ordinal);
        Assert.Contains("Masking__RecoveryPublicKey is not an RSA public key",
            LoadError(new MaskingOptions { Key = Key, RecoveryPublicKey = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" }), StringComparison.Ordinal);
        Assert.Contains("Masking__RecoveryPublicKey has 2048 bits; at least 3072 are required",
            LoadError(new MaskingOptions { Key = Key, RecoveryPublicKey = weak.ExportSubjectPublicKeyInfoPem() }), StringComparison.Ordinal);
    }

    [Fact]
    public void Good_settings_load_with_the_active_and_retired_keys()
    {
        using var recovery = RSA.Create(3072);
        var retired = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

        var ring = MaskingKeyRing.Load(new MaskingOptions
        {
            Mode = "Encrypt", Key = Key, KeyId = "k2", RetiredKeys = new() { ["k1"] = retired },
            RecoveryPublicKey = recovery.ExportSubjectPublicKeyInfoPem(),
        });

        Assert.Equal(MaskingModes.Encrypt, ring.Mode);
        Assert.Equal("k2", ring.Active.Id);
        Assert.Equal(["k1", "k2"], ring.All.Keys.Order());
        Assert.Equal(3072, ring.RecoveryPublicKey!.KeySize);
    }
}
