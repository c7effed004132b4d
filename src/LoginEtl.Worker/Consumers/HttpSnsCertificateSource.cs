using System.Security.Cryptography.X509Certificates;

namespace LoginEtl.Worker.Consumers;

/// <summary>
/// Fetches a signing certificate over HTTPS, as PEM, from the URL a notification names (which
/// <see cref="SnsSignatureVerifier"/> has checked is an SNS host's). TLS vouches for the host, so the certificate is
/// SNS's own.
/// </summary>
public sealed class HttpSnsCertificateSource : ISnsCertificateSource, IDisposable
{
    // No redirect: it could lead off the SNS host that was checked. A certificate is a few KiB.
    readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        Timeout = TimeSpan.FromSeconds(10),
        MaxResponseContentBufferSize = 64 * 1024,
    };

    public async Task<X509Certificate2> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        var pem = await _http.GetStringAsync(url, cancellationToken);
        return X509Certificate2.CreateFromPem(pem);
    }

    public void Dispose() => _http.Dispose();
}
