using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Hosting;

public static class SettingsValidation
{
    /// <summary>
    /// Validates the options by their data annotations (and <see cref="IValidatableObject"/>) wherever they are read,
    /// as <c>ValidateDataAnnotations</c> does; with <c>ValidateOnStart</c> the host's startup validator checks them
    /// before anything runs.
    /// </summary>
    public static OptionsBuilder<TOptions> ValidateSettings<TOptions>(this OptionsBuilder<TOptions> builder)
        where TOptions : class
    {
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, DataAnnotationsSettingsValidator<TOptions>>());
        return builder;
    }

    // The framework's ValidateDataAnnotations wraps each message ("DataAnnotation validation failed for 'SqsOptions'
    // members: 'Pollers' with the error: ..."); the messages here name the setting as an operator sets it
    // (Sqs__Pollers) and are reported as they are written.
    sealed class DataAnnotationsSettingsValidator<TOptions> : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            var results = new List<ValidationResult>();
            return Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true)
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(results.Select(r => r.ErrorMessage ?? $"{typeof(TOptions).Name}: {string.Join(", ", r.MemberNames)} is not valid"));
        }
    }
}
