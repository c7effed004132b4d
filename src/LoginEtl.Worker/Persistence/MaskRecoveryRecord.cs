namespace LoginEtl.Worker.Persistence;

/// <summary>
/// An original value sealed for the holder of the recovery private key (see <c>Masking/RecoverySealer</c>),
/// one per mask. Written only when <c>Masking__RecoveryPublicKey</c> is set.
/// </summary>
public sealed class MaskRecoveryRecord
{
    public required string MaskedValue { get; init; }
    public required string Field { get; init; }
    public required string KeyFingerprint { get; init; }
    public required byte[] SealedValue { get; init; }
    public DateTimeOffset StoredAt { get; init; }
}
