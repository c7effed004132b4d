namespace LoginEtl.Worker.Masking;

/// <summary>The personal fields that are never stored as sent. Each is masked under a key of its own.</summary>
public enum MaskedField
{
    Ip,
    DeviceId,
}

public static class MaskedFields
{
    public static IReadOnlyList<MaskedField> All { get; } = [MaskedField.Ip, MaskedField.DeviceId];

    /// <summary>The field's name as in the message and the table: <c>ip</c>, <c>device_id</c>.</summary>
    public static string Name(this MaskedField field) => field switch
    {
        MaskedField.Ip => "ip",
        MaskedField.DeviceId => "device_id",
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };
}
