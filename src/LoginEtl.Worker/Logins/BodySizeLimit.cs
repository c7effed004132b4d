using System.Text;

namespace LoginEtl.Worker.Logins;

/// <summary>
/// Sqs__MaxBodyBytes, checked on the string the SDK returned, before the body is copied to
/// UTF-8 or parsed: a hostile producer's largest body then costs the service nothing beyond that string.
/// </summary>
public static class BodySizeLimit
{
    /// <summary>The too_large reason for a body over <paramref name="maxBytes"/> UTF-8 bytes; null when it fits.</summary>
    public static Rejection? Check(string body, int maxBytes)
    {
        // A UTF-16 unit takes one to three UTF-8 bytes, so a body of at most a third of the limit in units fits
        // whatever its characters: a real event is decided by its length alone. Past that the bytes are counted
        // (without a copy), to decide or, for a body longer than the limit in units, to name its size.
        if (body.Length <= maxBytes / 3)
            return null;

        var bytes = Encoding.UTF8.GetByteCount(body);
        return bytes <= maxBytes
            ? null
            : new Rejection(InvalidKinds.TooLarge, $"body is {bytes} bytes; at most {maxBytes} are allowed");
    }
}
