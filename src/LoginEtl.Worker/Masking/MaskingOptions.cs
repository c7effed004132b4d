namespace LoginEtl.Worker.Masking;

public sealed class MaskingOptions
{
    public const string Section = "Masking";

    /// <summary><c>hash</c> (keyed HMAC, not reversible) or <c>encrypt</c> (deterministic AES-GCM-SIV, reversible with the key).</summary>
    public string Mode { get; set; } = MaskingModes.Hash;

    /// <summary>The active key: base64 of at least 32 random bytes.</summary>
    public string? Key { get; set; }

    /// <summary>The id new masks carry; by default eight hex characters derived from the key.</summary>
    public string? KeyId { get; set; }

    /// <summary>Keys no longer used for new values, by id, kept to unmask the values they made.</summary>
    public Dictionary<string, string> RetiredKeys { get; set; } = [];

    /// <summary>Optional RSA public key (PEM text or a path to a PEM file) to which every original value is also sealed.</summary>
    public string? RecoveryPublicKey { get; set; }
}

public static class MaskingModes
{
    public const string Hash = "hash";
    public const string Encrypt = "encrypt";
}
