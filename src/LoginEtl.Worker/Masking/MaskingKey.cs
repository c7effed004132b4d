using System.Security.Cryptography;
using System.Text;

namespace LoginEtl.Worker.Masking;

/// <summary>
/// A masking secret and the id that every value masked with it carries. Keys are only ever used through
/// <see cref="Derive"/>, so the same secret never serves two purposes.
/// </summary>
public sealed class MaskingKey
{
    public const int MinBytes = 32;

    readonly byte[] _secret;

    public MaskingKey(byte[] secret, string? id = null)
    {
        if (secret.Length < MinBytes)
            throw new ArgumentException($"A masking key needs at least {MinBytes} bytes", nameof(secret));

        _secret = secret;
        Id = id ?? Convert.ToHexStringLower(Derive("loginetl/key-id"), 0, 4);
    }

    /// <summary>The configured key id, or eight hex characters derived from the key (revealing nothing of it).</summary>
    public string Id { get; }

    /// <summary>A 32-byte subkey for one purpose: HMAC-SHA256 of the purpose under the secret.</summary>
    public byte[] Derive(string purpose) => HMACSHA256.HashData(_secret, Encoding.ASCII.GetBytes(purpose));
}
