using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Sqs;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Hosting;

/// <summary>
/// Refuses <c>Sns__VerifySignatures</c> against an SQS endpoint that is not AWS's (an emulator, LocalStack): the
/// notifications it delivers carry no signature SNS made, so every one of them would be dead-lettered.
/// </summary>
sealed class SnsOptionsValidator(IOptions<SqsOptions> sqs) : IValidateOptions<SnsOptions>
{
    public ValidateOptionsResult Validate(string? name, SnsOptions options)
    {
        if (!options.VerifySignatures)
            return ValidateOptionsResult.Success;

        var (setting, endpoint) = sqs.Value.ServiceUrl is { Length: > 0 } serviceUrl
            ? ("Sqs__ServiceUrl", serviceUrl)
            : ("AWS_ENDPOINT_URL_SQS", Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_SQS"));
        return string.IsNullOrEmpty(endpoint) || IsAws(endpoint)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Sns__VerifySignatures is on, but {setting} is not an AWS endpoint: an emulator's notifications " +
                "carry no signature SNS made, so each would be dead-lettered; turn Sns__VerifySignatures off against an emulator");
    }

    static bool IsAws(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps
        && (url.Host.EndsWith(".amazonaws.com", StringComparison.OrdinalIgnoreCase) || url.Host.EndsWith(".amazonaws.com.cn", StringComparison.OrdinalIgnoreCase));
}
