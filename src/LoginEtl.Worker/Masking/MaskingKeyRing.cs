using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Masking;

/// <summary>
/// The masking settings, checked and decoded once. Every problem names its setting, so the service refuses to
/// start with a message the operator can act on.
/// </summary>
public sealed partial class MaskingKeyRing
{
    MaskingKeyRing(string mode, MaskingKey active, IReadOnlyDictionary<string, MaskingKey> all, RSA? recoveryPublicKey)
    {
        Mode = mode;
        Active = active;
        All = all;
        RecoveryPublicKey = recoveryPublicKey;
    }

    public string Mode { get; }

    public MaskingKey Active { get; }

    /// <summary>The active key and the retired ones, by id.</summary>
    public IReadOnlyDictionary<string, MaskingKey> All { get; }

    public RSA? RecoveryPublicKey { get; }

    public static MaskingKeyRing Load(MaskingOptions options)
    {
        var errors = new List<string>();
        var mode = options.Mode?.Trim().ToLowerInvariant();
        if (mode is not (MaskingModes.Hash or MaskingModes.Encrypt))
            errors.Add($"Masking__Mode must be '{MaskingModes.Hash}' or '{MaskingModes.Encrypt}'");

        if (options.KeyId is { } keyId && !IsValidKeyId(keyId))
            errors.Add("Masking__KeyId must be 1 to 32 letters, digits, '-' or '_', and not 'enc'");
        if (options.KeyId is not null && string.IsNullOrWhiteSpace(options.Key))
            errors.Add("Masking__KeyId is set but Masking__Key is not: give the key it names");

        var active = DecodeKey(options.Key, "Masking__Key", options.KeyId, errors);
        var all = new Dictionary<string, MaskingKey>(StringComparer.Ordinal);
        if (active is not null)
            all[active.Id] = active;

        foreach (var (id, secret) in options.RetiredKeys)
        {
            var setting = $"Masking__RetiredKeys__{id}";
            if (!IsValidKeyId(id))
                errors.Add($"{setting}: the key id must be 1 to 32 letters, digits, '-' or '_', and not 'enc'");
            else if (active is not null && id == active.Id)
                errors.Add($"{setting}: the active key has the same id; retired keys need ids of their own");
            else if (DecodeKey(secret, setting, id, errors) is { } retired)
                all[id] = retired;
        }

        var recovery = LoadRecoveryKey(options.RecoveryPublicKey, errors);
        if (errors.Count > 0)
            throw new OptionsValidationException(MaskingOptions.Section, typeof(MaskingOptions), errors);

        return new MaskingKeyRing(mode!, active!, all, recovery);
    }

    static MaskingKey? DecodeKey(string? base64, string setting, string? id, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            errors.Add($"{setting} is not set: give a base64 key of at least {MaskingKey.MinBytes} random bytes (login-etl keygen prints one)");
            return null;
        }

        byte[] secret;
        try
        {
            secret = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            errors.Add($"{setting} is not valid base64");
            return null;
        }

        if (secret.Length < MaskingKey.MinBytes)
        {
            errors.Add($"{setting} decodes to {secret.Length} bytes; at least {MaskingKey.MinBytes} are required");
            return null;
        }

        return new MaskingKey(secret, id);
    }

    static RSA? LoadRecoveryKey(string? setting, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(setting))
            return null;

        string pem;
        try
        {
            pem = setting.TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal) ? setting : File.ReadAllText(setting);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            errors.Add($"Masking__RecoveryPublicKey: cannot read the PEM file ({ex.Message})");
            return null;
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            errors.Add("Masking__RecoveryPublicKey is not an RSA public key in PEM form");
            return null;
        }

        if (rsa.KeySize < RecoverySealer.MinKeyBits)
        {
            errors.Add($"Masking__RecoveryPublicKey has {rsa.KeySize} bits; at least {RecoverySealer.MinKeyBits} are required");
            rsa.Dispose();
            return null;
        }

        return rsa;
    }

    static bool IsValidKeyId(string id) => KeyIdPattern().IsMatch(id) && id != "enc";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex KeyIdPattern();
}
