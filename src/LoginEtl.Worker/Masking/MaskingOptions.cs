using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Masking;

public sealed class MaskingOptions
{
    public const string Section = "Masking";
    public const int MinKeyBytes = 32;

    /// <summary>Base64 secret of at least 32 bytes; <c>Masking__Key</c> in the environment.</summary>
    public string? Key { get; set; }
}

sealed class MaskingOptionsValidator : IValidateOptions<MaskingOptions>
{
    public ValidateOptionsResult Validate(string? name, MaskingOptions options) =>
        TryDecodeKey(options.Key, out _, out var error)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(error);

    internal static bool TryDecodeKey(string? base64, out byte[] key, out string error)
    {
        key = [];
        error = "";
        if (string.IsNullOrWhiteSpace(base64))
        {
            error = $"Masking__Key is not set: give a base64 key of at least {MaskingOptions.MinKeyBytes} random bytes";
            return false;
        }

        try
        {
            key = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            error = "Masking__Key is not valid base64";
            return false;
        }

        if (key.Length < MaskingOptions.MinKeyBytes)
        {
            error = $"Masking__Key decodes to {key.Length} bytes; at least {MaskingOptions.MinKeyBytes} are required";
            return false;
        }

        return true;
    }
}
