namespace LoginEtl.Worker.Consumers;

public sealed class SnsOptions
{
    public const string Section = "Sns";

    /// <summary>
    /// Verify the signature of each SNS notification before its login is stored, against the certificate its
    /// <c>SigningCertURL</c> names (an https URL on an <c>sns.&lt;region&gt;.amazonaws.com</c> host, fetched once per URL).
    /// Off by default: SQS already says who may send to the queue. Refused at start against an emulator, whose
    /// notifications carry no real signature.
    /// </summary>
    public bool VerifySignatures { get; set; }
}
