using System.Diagnostics.CodeAnalysis;
using LoginEtl.Worker.Logins;

namespace LoginEtl.Worker.Masking;

/// <summary>A value sealed for the recovery key holder, stored once per mask.</summary>
public sealed record RecoveryRecord(string Mask, MaskedField Field, string KeyFingerprint, byte[] SealedValue);

/// <summary>The masks of one login, and the recovery records to store with it (none when recovery is off).</summary>
public sealed record MaskedLogin(string MaskedIp, string MaskedDeviceId, IReadOnlyList<RecoveryRecord> Recovery);

/// <summary>
/// Masks the personal fields of a login with the configured mode and active key and, when
/// <c>Masking__RecoveryPublicKey</c> is set, seals each original for the recovery key holder. A value is
/// sealed once per process unless its record has not been committed yet: see <see cref="Committed"/>.
/// </summary>
public sealed class LoginMasking : IDisposable
{
    const int RememberedMasks = 100_000;

    readonly IMasker _masker;
    readonly RecoverySealer? _sealer;
    readonly HashSet<string> _sealed = new(StringComparer.Ordinal);
    readonly Lock _sealedLock = new();

    public LoginMasking(MaskingKeyRing keys)
    {
        _masker = keys.Mode == MaskingModes.Encrypt ? new GcmSivMasker(keys.Active) : new HmacMasker(keys.Active);
        _sealer = keys.RecoveryPublicKey is { } publicKey ? new RecoverySealer(publicKey) : null;
    }

    public string KeyId => _masker.KeyId;

    /// <summary>
    /// The masks of <paramref name="login"/>, or why a value cannot be masked (too long for encrypt mode to store): an
    /// expected outcome, not an exception.
    /// </summary>
    public bool TryMask(ValidLoginEvent login, [NotNullWhen(true)] out MaskedLogin? masked, [NotNullWhen(false)] out Rejection? rejection)
    {
        masked = null;
        if ((rejection = CheckLength(MaskedField.Ip, login.Ip) ?? CheckLength(MaskedField.DeviceId, login.DeviceId)) is not null)
            return false;

        var maskedIp = _masker.Mask(MaskedField.Ip, login.Ip);
        var maskedDeviceId = _masker.Mask(MaskedField.DeviceId, login.DeviceId);
        if (_sealer is null)
        {
            masked = new MaskedLogin(maskedIp, maskedDeviceId, []);
            return true;
        }

        var records = new List<RecoveryRecord>(2);
        Seal(records, maskedIp, MaskedField.Ip, login.Ip);
        Seal(records, maskedDeviceId, MaskedField.DeviceId, login.DeviceId);
        masked = new MaskedLogin(maskedIp, maskedDeviceId, records);
        return true;
    }

    /// <summary>Remembers masks whose recovery records are committed, so they are not sealed again.</summary>
    public void Committed(IReadOnlyList<RecoveryRecord> records)
    {
        if (records.Count == 0)
            return;

        lock (_sealedLock)
        {
            if (_sealed.Count + records.Count > RememberedMasks)
                _sealed.Clear();
            foreach (var record in records)
                _sealed.Add(record.Mask);
        }
    }

    Rejection? CheckLength(MaskedField field, string value) =>
        _masker.MaxValueBytes is { } max && System.Text.Encoding.UTF8.GetByteCount(value) > max
            ? new Rejection(InvalidKinds.TooLong, $"{field.Name()} is longer than the {max} bytes that encrypt mode can store in 256 characters")
            : null;

    void Seal(List<RecoveryRecord> records, string mask, MaskedField field, string value)
    {
        lock (_sealedLock)
        {
            if (_sealed.Contains(mask))
                return;
        }

        records.Add(new RecoveryRecord(mask, field, _sealer!.Fingerprint, _sealer.Seal(mask, field, value)));
    }

    public void Dispose() => _sealer?.Dispose();
}
