using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Masking;

/// <summary>Validates the masking settings by loading them as a <see cref="MaskingKeyRing"/>, so that both say the same.</summary>
sealed class MaskingOptionsValidator : IValidateOptions<MaskingOptions>
{
    public ValidateOptionsResult Validate(string? name, MaskingOptions options)
    {
        try
        {
            MaskingKeyRing.Load(options).RecoveryPublicKey?.Dispose();
            return ValidateOptionsResult.Success;
        }
        catch (OptionsValidationException ex)
        {
            return ValidateOptionsResult.Fail(ex.Failures);
        }
    }
}
