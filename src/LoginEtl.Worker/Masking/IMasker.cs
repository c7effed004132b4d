namespace LoginEtl.Worker.Masking;

/// <summary>Masks personal values deterministically: equal inputs give equal outputs, distinct inputs distinct ones.</summary>
public interface IMasker
{
    /// <summary>The id of the key that masks new values.</summary>
    string KeyId { get; }

    /// <summary>The longest value, in UTF-8 bytes, whose mask still fits varchar(256); null when any length does.</summary>
    int? MaxValueBytes { get; }

    string Mask(MaskedField field, string value);
}
