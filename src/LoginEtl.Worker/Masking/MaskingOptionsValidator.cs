using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Masking;

/// <summary>
/// Validates the masking settings by loading them as a <see cref="MaskingKeyRing"/>, so that both say the same; and
/// refuses the demo key that the Docker stack and the Development settings publish, outside Development.
/// </summary>
sealed class MaskingOptionsValidator(IHostEnvironment environment) : IValidateOptions<MaskingOptions>
{
    /// <summary>The key docker-compose.yml and appsettings.Development.json give, which anyone can read there.</summary>
    public const string DemoKey = "KKavrgPEtCtixeyQZC14ycDbMoVDXo2Idas+alOPEng=";

    public ValidateOptionsResult Validate(string? name, MaskingOptions options)
    {
        if (options.Key?.Trim() == DemoKey && !environment.IsDevelopment())
        {
            return ValidateOptionsResult.Fail("Masking__Key is the demo key published with the Docker stack, which anyone can read: " +
                "outside the Development environment (DOTNET_ENVIRONMENT) use a key of your own, from `login-etl keygen`");
        }

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
