using System.Buffers.Text;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;

namespace LoginEtl.Worker.Masking;

/// <summary>A mask that cannot be recovered, and why, in words for the operator.</summary>
public sealed class UnmaskException(string message) : Exception(message);

/// <summary>Recovers original values: encrypt-mode masks with the configured keys, any mask from its recovery record.</summary>
public static class Unmasker
{
    /// <summary>Decrypts an <c>enc:KEYID:...</c> mask with the key of that id, active or retired.</summary>
    public static (MaskedField Field, string Value) Decrypt(MaskingKeyRing keys, string mask)
    {
        if (!mask.StartsWith(GcmSivMasker.Prefix, StringComparison.Ordinal))
            throw new UnmaskException(mask.Contains(':', StringComparison.Ordinal)
                ? "this is a hash-mode mask, which no key reverses: recover it from its recovery record with --private-key FILE"
                : "this is not a mask made by login-etl");

        var parts = mask[GcmSivMasker.Prefix.Length..].Split(':');
        if (parts.Length != 2)
            throw new UnmaskException("this is not a mask made by login-etl");
        if (!TryDecodeBase64Url(parts[1], out var sealedValue))
            throw new UnmaskException("the mask is malformed: it was altered or cut");

        var keyId = parts[0];
        if (!keys.All.TryGetValue(keyId, out var key))
            throw new UnmaskException($"no key with id '{keyId}' is configured (Masking__KeyId with Masking__Key, or Masking__RetiredKeys__{keyId})");

        var masker = new GcmSivMasker(key);
        foreach (var field in MaskedFields.All)
        {
            try
            {
                return (field, masker.Unmask(field, sealedValue));
            }
            catch (InvalidCipherTextException)
            {
                // Authenticated under the other field's associated data, or not at all.
            }
        }

        throw new UnmaskException($"the mask does not authenticate under key '{keyId}': it was altered, or made with another key of that id");
    }

    /// <summary>Opens the recovery record of <paramref name="mask"/> with the recovery private key.</summary>
    public static string Recover(RSA privateKey, string mask, MaskedField field, string keyFingerprint, byte[] sealedValue)
    {
        var fingerprint = RecoverySealer.FingerprintOf(privateKey);
        if (fingerprint != keyFingerprint)
            throw new UnmaskException($"the value was sealed for recovery key {keyFingerprint}; the private key given is {fingerprint}");

        try
        {
            return RecoverySealer.Open(privateKey, mask, field, sealedValue);
        }
        catch (CryptographicException)
        {
            throw new UnmaskException("the recovery record does not authenticate: it was altered");
        }
    }

    /// <summary>
    /// Masks <paramref name="value"/> again with the key of <paramref name="mask"/>'s id, in the mode the mask
    /// shows, and throws unless that gives <paramref name="mask"/>. A recovery record proves only that someone
    /// holding the recovery public key sealed it for this mask: the service does, and so can anyone else who has
    /// that key, which is not secret, for any mask and any value. The masking key is what ties a value to its mask.
    /// </summary>
    public static void CheckRecovered(MaskingKeyRing keys, string mask, MaskedField field, string value)
    {
        var encrypted = mask.StartsWith(GcmSivMasker.Prefix, StringComparison.Ordinal);
        var keyId = (encrypted ? mask[GcmSivMasker.Prefix.Length..] : mask).Split(':')[0];
        if (!keys.All.TryGetValue(keyId, out var key))
            throw new UnmaskException($"no key with id '{keyId}' is configured to check the recovered value against its mask (Masking__KeyId with Masking__Key, or Masking__RetiredKeys__{keyId})");

        IMasker masker = encrypted ? new GcmSivMasker(key) : new HmacMasker(key);
        if (!string.Equals(masker.Mask(field, value), mask, StringComparison.Ordinal))
            throw new UnmaskException($"the recovery record does not match its mask: its value does not mask to it under key '{keyId}'; the record was forged or swapped");
    }

    static bool TryDecodeBase64Url(string text, out byte[] bytes)
    {
        try
        {
            bytes = Base64Url.DecodeFromChars(text);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
