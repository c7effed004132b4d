using System.Security.Cryptography.X509Certificates;

namespace LoginEtl.Worker.Consumers;

/// <summary>Where the certificates that sign SNS notifications come from; asked once per URL (see <see cref="SnsSignatureVerifier"/>).</summary>
public interface ISnsCertificateSource
{
    /// <summary>The certificate at <paramref name="url"/>; throws when it cannot be had now (a transient failure).</summary>
    Task<X509Certificate2> GetAsync(Uri url, CancellationToken cancellationToken);
}
