using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using LoginEtl.Worker;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Logins;
using LoginEtl.Worker.Masking;
using Microsoft.Extensions.Options;

namespace LoginEtl.Tests;

/// <summary>
/// Sns__VerifySignatures, with a certificate and signatures made here: nothing is fetched from off the machine, the
/// certificate source is the test's own.
/// </summary>
public sealed class SnsSignatureTests : IDisposable
{
    const string CertificateUrl = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000.pem";

    static readonly LoginReader Reader =
        new(new LoginMasking(MaskingKeyRing.Load(new MaskingOptions { Mode = MaskingModes.Hash, Key = Convert.ToBase64String(new byte[32]) })));

    readonly RSA _key = RSA.Create(2048);
    readonly X509Certificate2 _certificate;
    readonly CertificateSource _source;
    readonly SnsSignatureVerifier _verifier;

    public SnsSignatureTests()
    {
        var request = new CertificateRequest("CN=sns.eu-west-1.amazonaws.com", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var signing = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        // Only the public part, as SNS serves it.
        _certificate = X509CertificateLoader.LoadCertificate(signing.RawData);
        _source = new CertificateSource(_certificate);
        _verifier = Verifier(_source);
    }

    public void Dispose()
    {
        _certificate.Dispose();
        _key.Dispose();
    }

    static SnsSignatureVerifier Verifier(ISnsCertificateSource source) =>
        new(source, Options.Create(new SnsOptions { VerifySignatures = true }));

    // A notification signed with the test's key as SNS signs one, then changed by tamper (after signing).
    SnsNotification Signed(string version, Action<JsonObject>? before = null, Action<JsonObject>? tamper = null, HashAlgorithmName? hash = null)
    {
        var body = EnvelopeTests.Sns(change: envelope =>
        {
            envelope["SignatureVersion"] = version;
            envelope["SigningCertURL"] = CertificateUrl;
            before?.Invoke(envelope);
            var unsigned = Reader.Read(envelope.ToJsonString(), 256 * 1024).Notification!;
            var algorithm = hash ?? (version == "1" ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256);
            envelope["Signature"] = Convert.ToBase64String(_key.SignData(Encoding.UTF8.GetBytes(unsigned.SignedText()), algorithm, RSASignaturePadding.Pkcs1));
            tamper?.Invoke(envelope);
        });
        var read = Reader.Read(body, 256 * 1024);
        Assert.Null(read.Rejection);
        return read.Notification!;
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public async Task A_notification_signed_by_its_certificate_verifies(string version)
    {
        Assert.Null(await _verifier.CheckAsync(Signed(version), CancellationToken.None));
        Assert.Null(await _verifier.CheckAsync(Signed(version, before: e => e.Remove("Subject")), CancellationToken.None));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public async Task A_notification_changed_after_it_was_signed_does_not_verify(string version)
    {
        Action<JsonObject>[] tampers =
        [
            e => e["Message"] = e["Message"]!.GetValue<string>().Replace("u-1", "u-2", StringComparison.Ordinal),
            e => e["MessageId"] = Guid.NewGuid().ToString(),
            e => e["Subject"] = "another subject",
            e => e.Remove("Subject"),
            e => e["Timestamp"] = "2026-03-02T00:00:00.000Z",
            e => e["TopicArn"] = "arn:aws:sns:eu-west-1:123456789012:somebody-elses",
        ];
        foreach (var tamper in tampers)
        {
            var rejection = await _verifier.CheckAsync(Signed(version, tamper: tamper), CancellationToken.None);

            Assert.Equal(new Rejection(InvalidKinds.Envelope, "sns signature does not verify"), rejection);
        }
    }

    [Fact]
    public async Task A_signature_of_the_other_version_or_none_at_all_does_not_verify()
    {
        Assert.Equal("sns signature does not verify",
            (await _verifier.CheckAsync(Signed("1", hash: HashAlgorithmName.SHA256), CancellationToken.None))?.Reason);
        Assert.Equal("sns signature does not verify",
            (await _verifier.CheckAsync(Signed("2", hash: HashAlgorithmName.SHA1), CancellationToken.None))?.Reason);
        Assert.Equal("sns SignatureVersion is not 1 or 2",
            (await _verifier.CheckAsync(Signed("2", tamper: e => e["SignatureVersion"] = "3"), CancellationToken.None))?.Reason);
        Assert.Equal("sns Signature is missing or not base64",
            (await _verifier.CheckAsync(Signed("2", tamper: e => e["Signature"] = "not base64!"), CancellationToken.None))?.Reason);
        Assert.Equal("sns Signature is missing or not base64",
            (await _verifier.CheckAsync(Signed("2", tamper: e => e.Remove("Signature")), CancellationToken.None))?.Reason);
        Assert.Equal("sns Timestamp is missing, and the signature covers it",
            (await _verifier.CheckAsync(Signed("2", tamper: e => e.Remove("Timestamp")), CancellationToken.None))?.Reason);
    }

    [Theory]
    [InlineData("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem", true)]
    [InlineData("https://sns.ap-southeast-2.amazonaws.com/SimpleNotificationService-a.pem", true)]
    [InlineData("https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-a.pem", true)]
    [InlineData("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a.pem", true)]
    [InlineData("https://SNS.EU-WEST-1.AMAZONAWS.COM/a.pem", true)]
    [InlineData("http://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem", false)]
    [InlineData("https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-a.pem", false)]
    [InlineData("https://user@sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem", false)]
    [InlineData("https://sns.us-east-1.amazonaws.com.attacker.example/a.pem", false)]
    [InlineData("https://attacker.example/sns.us-east-1.amazonaws.com/a.pem", false)]
    [InlineData("https://evil-sns.us-east-1.amazonaws.com/a.pem", false)]
    [InlineData("https://sns.us-east-1.amazonaws.com.cn.example/a.pem", false)]
    [InlineData("https://s3.us-east-1.amazonaws.com/a.pem", false)]
    [InlineData("https://bucket.s3.amazonaws.com/sns.us-east-1.amazonaws.com/a.pem", false)]
    [InlineData("https://sns.amazonaws.com/a.pem", false)]
    [InlineData("file:///etc/passwd", false)]
    [InlineData("/SimpleNotificationService-a.pem", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Only_an_https_url_on_an_sns_host_is_a_signing_certificate_url(string? url, bool accepted)
    {
        Assert.Equal(accepted, SnsSignatureVerifier.IsSigningCertificateUrl(url, out _));
    }

    [Fact]
    public async Task A_certificate_url_off_an_sns_host_is_refused_without_asking_for_it()
    {
        var notification = Signed("2", tamper: e => e["SigningCertURL"] = "https://attacker.example/cert.pem");

        var rejection = await _verifier.CheckAsync(notification, CancellationToken.None);

        Assert.Equal("sns SigningCertURL is not an https URL on an sns.<region>.amazonaws.com host", rejection?.Reason);
        Assert.Empty(_source.Asked);
    }

    [Fact]
    public async Task Each_certificate_is_fetched_once_per_url()
    {
        for (var i = 0; i < 5; i++)
            Assert.Null(await _verifier.CheckAsync(Signed(i % 2 == 0 ? "1" : "2"), CancellationToken.None));
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _verifier.CheckAsync(Signed("2"), CancellationToken.None)));
        var other = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1111.pem";
        Assert.Null(await _verifier.CheckAsync(Signed("2", before: e => e["SigningCertURL"] = other), CancellationToken.None));

        Assert.Equal([CertificateUrl, other], _source.Asked);
    }

    [Fact]
    public async Task A_certificate_that_cannot_be_fetched_is_a_failure_thrown_and_asked_for_again_next_time()
    {
        _source.Failures = 1;

        await Assert.ThrowsAsync<HttpRequestException>(() => _verifier.CheckAsync(Signed("2"), CancellationToken.None));
        Assert.Null(await _verifier.CheckAsync(Signed("2"), CancellationToken.None));
        Assert.Null(await _verifier.CheckAsync(Signed("2"), CancellationToken.None));

        Assert.Equal([CertificateUrl, CertificateUrl], _source.Asked);
    }

    [Fact]
    public async Task A_certificate_without_an_rsa_key_verifies_nothing()
    {
        using var ecdsa = ECDsa.Create();
        using var certificate = new CertificateRequest("CN=sns", ecdsa, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));

        var rejection = await Verifier(new CertificateSource(certificate)).CheckAsync(Signed("2"), CancellationToken.None);

        Assert.Equal("sns signing certificate has no RSA key", rejection?.Reason);
    }

    [Theory]
    [InlineData(false, "http://127.0.0.1:4566", null)]
    [InlineData(true, null, null)]
    [InlineData(true, "https://sqs.eu-west-1.amazonaws.com", null)]
    [InlineData(true, "https://sqs.cn-north-1.amazonaws.com.cn", null)]
    [InlineData(true, "http://127.0.0.1:4566", "Sns__VerifySignatures is on, but Sqs__ServiceUrl is not an AWS endpoint")]
    [InlineData(true, "http://localstack:4566", "Sns__VerifySignatures is on, but Sqs__ServiceUrl is not an AWS endpoint")]
    [InlineData(true, "https://sqs.eu-west-1.amazonaws.com.example", "Sns__VerifySignatures is on, but Sqs__ServiceUrl is not an AWS endpoint")]
    public void Verification_is_refused_at_start_against_an_emulator(bool verify, string? serviceUrl, string? error)
    {
        string[] args = [$"--Sns:VerifySignatures={verify}", .. serviceUrl is null ? [] : new[] { $"--Sqs:ServiceUrl={serviceUrl}" }];
        var builder = LoginEtlHost.CreateBuilder([.. RunSettings, .. args]);
        // No endpoint at all, whatever the environment says (the test script exports the emulator's).
        if (serviceUrl is null)
            builder.Configuration.AddInMemoryCollection([new("Sqs:ServiceUrl", null)]);
        builder.AddLoginEtl();

        if (error is null)
        {
            LoginEtlHost.Build(builder).Dispose();
        }
        else
        {
            var failure = Assert.Throws<StartupException>(() => LoginEtlHost.Build(builder));
            Assert.StartsWith(error, failure.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_bad_sqs_envelopes_setting_stops_the_service_at_start()
    {
        var builder = LoginEtlHost.CreateBuilder([.. RunSettings, "--Sqs:Envelopes=sns,sqs"]);
        builder.AddLoginEtl();

        var failure = Assert.Throws<StartupException>(() => LoginEtlHost.Build(builder));

        Assert.Equal("Sqs__Envelopes must be auto, none, or a comma list of plain, sns, eventbridge", failure.Message);
    }

    // What `run` needs for its settings to be checked; nothing is connected to.
    static readonly string[] RunSettings = [$"--Masking:Key={Convert.ToBase64String(new byte[32])}", "--ConnectionStrings:LoginDb=Host=127.0.0.1;Username=etl"];

    sealed class CertificateSource(X509Certificate2 certificate) : ISnsCertificateSource
    {
        public List<string> Asked { get; } = [];

        public int Failures { get; set; }

        public async Task<X509Certificate2> GetAsync(Uri url, CancellationToken cancellationToken)
        {
            lock (Asked)
                Asked.Add(url.AbsoluteUri);
            // As a fetch would: the answer comes later, so that concurrent callers overlap.
            await Task.Delay(10, cancellationToken);
            if (Failures-- > 0)
                throw new HttpRequestException("the certificate could not be fetched");
            return certificate;
        }
    }
}
