using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using LoginEtl.Worker.Logins;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Consumers;

/// <summary>
/// With <c>Sns__VerifySignatures</c>, checks that an SNS notification was signed by SNS: <c>SignatureVersion</c> 1
/// (SHA1withRSA) or 2 (SHA256withRSA) over the text SNS signs (<see cref="SnsNotification.SignedText"/>), with the
/// certificate at its <c>SigningCertURL</c>, which must be https on an <c>sns.&lt;region&gt;.amazonaws.com</c> (or
/// <c>.amazonaws.com.cn</c>) host. Each certificate is fetched once per URL and kept; one that cannot be fetched is
/// not kept, and the failure is thrown as it came (transient: the message is released and tried again).
/// </summary>
public sealed partial class SnsSignatureVerifier(ISnsCertificateSource certificates, IOptions<SnsOptions> options)
{
    readonly ConcurrentDictionary<string, Lazy<Task<X509Certificate2>>> _certificates = new(StringComparer.Ordinal);

    public bool Enabled { get; } = options.Value.VerifySignatures;

    /// <summary>The reason <paramref name="notification"/> is not SNS's; null when its signature verifies.</summary>
    public async Task<Rejection?> CheckAsync(SnsNotification notification, CancellationToken cancellationToken)
    {
        var hash = notification.SignatureVersion switch
        {
            "1" => HashAlgorithmName.SHA1,
            "2" => HashAlgorithmName.SHA256,
            _ => default,
        };
        if (hash == default)
            return Refuse("sns SignatureVersion is not 1 or 2");
        if (!TryDecode(notification.Signature, out var signature))
            return Refuse("sns Signature is missing or not base64");
        if (notification.Timestamp is null)
            return Refuse("sns Timestamp is missing, and the signature covers it");
        if (!IsSigningCertificateUrl(notification.SigningCertUrl, out var url))
            return Refuse("sns SigningCertURL is not an https URL on an sns.<region>.amazonaws.com host");

        var certificate = await CertificateAsync(url, cancellationToken);
        using var rsa = certificate.GetRSAPublicKey();
        if (rsa is null)
            return Refuse("sns signing certificate has no RSA key");
        return rsa.VerifyData(Encoding.UTF8.GetBytes(notification.SignedText()), signature, hash, RSASignaturePadding.Pkcs1)
            ? null
            : Refuse("sns signature does not verify");
    }

    /// <summary>An https URL on an SNS host, on its default port and with no user name: where SNS serves its signing certificates.</summary>
    public static bool IsSigningCertificateUrl(string? text, [NotNullWhen(true)] out Uri? url)
    {
        url = Uri.TryCreate(text, UriKind.Absolute, out var parsed) && parsed.Scheme == Uri.UriSchemeHttps && parsed.IsDefaultPort
            && parsed.UserInfo.Length == 0 && SnsHost().IsMatch(parsed.IdnHost)
                ? parsed
                : null;
        return url is not null;
    }

    async Task<X509Certificate2> CertificateAsync(Uri url, CancellationToken cancellationToken)
    {
        var key = url.AbsoluteUri;
        var entry = _certificates.GetOrAdd(key, _ => new Lazy<Task<X509Certificate2>>(() => certificates.GetAsync(url, CancellationToken.None)));
        try
        {
            return await entry.Value.WaitAsync(cancellationToken);
        }
        catch when (!cancellationToken.IsCancellationRequested)
        {
            // Not kept: the next notification signed with it asks the source again.
            _certificates.TryRemove(new KeyValuePair<string, Lazy<Task<X509Certificate2>>>(key, entry));
            throw;
        }
    }

    static bool TryDecode(string? base64, out byte[] bytes)
    {
        bytes = [];
        if (string.IsNullOrEmpty(base64))
            return false;
        var buffer = new byte[base64.Length * 3 / 4];
        if (!Convert.TryFromBase64String(base64, buffer, out var written))
            return false;
        bytes = buffer[..written];
        return true;
    }

    static Rejection Refuse(string reason) => new(InvalidKinds.Envelope, reason);

    [GeneratedRegex(@"^sns\.[a-z]{2}(-[a-z]+)+-[0-9]+\.amazonaws\.com(\.cn)?$")]
    private static partial Regex SnsHost();
}
