using System.Text;
using LoginEtl.Worker.Contracts;
using LoginEtl.Worker.Logins;
using LoginEtl.Worker.Masking;

namespace LoginEtl.Worker.Consumers;

/// <summary>A login read from a body: valid and masked, or the reason it never can be.</summary>
public sealed record LoginRead(ValidLoginEvent? Login, MaskedLogin? Masked, Rejection? Rejection)
{
    public static LoginRead Rejected(Rejection rejection) => new(null, null, rejection);
}

/// <summary>
/// Turns any body into a login ready to store or a typed rejection, in this order: its size, one strict pass of the
/// JSON that also reads the event's fields, validation, masking. It never throws, on any input: whatever a producer
/// put in a message ends as one of the two.
/// </summary>
public sealed class LoginReader(LoginMasking masking)
{
    /// <summary>Reads a body as SQS delivered it, refusing one larger than <paramref name="maxBodyBytes"/> before any copy.</summary>
    public LoginRead Read(string body, int maxBodyBytes) => Read(body, maxBodyBytes, out _);

    /// <summary>As <see cref="Read(string, int)"/>, with the body's UTF-8 bytes when it fits (what MassTransit is given).</summary>
    public LoginRead Read(string body, int maxBodyBytes, out byte[]? utf8)
    {
        utf8 = null;
        try
        {
            if (BodySizeLimit.Check(body, maxBodyBytes) is { } tooLarge)
                return LoginRead.Rejected(tooLarge);
            utf8 = Encoding.UTF8.GetBytes(body);
            return StrictJsonObject.Read(utf8, out var login) is { } notStrict
                ? LoginRead.Rejected(notStrict)
                : Read(login!);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return LoginRead.Rejected(Unreadable(ex));
        }
    }

    /// <summary>Reads an event that was already deserialized (MassTransit's own transports).</summary>
    public LoginRead Read(LoginEvent login)
    {
        try
        {
            if (!LoginEventValidator.TryValidate(login, out var valid, out var invalid))
                return LoginRead.Rejected(invalid);
            return masking.TryMask(valid, out var masked, out var unmaskable)
                ? new LoginRead(valid, masked, null)
                : LoginRead.Rejected(unmaskable);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return LoginRead.Rejected(Unreadable(ex));
        }
    }

    // A rule that failed in a way no rule above foresaw: still the body's fault, as no retry reads it differently.
    // The exception's type only: its message may quote the body.
    static Rejection Unreadable(Exception ex) => new(InvalidKinds.MalformedJson, $"body could not be read ({ex.GetType().Name})");
}
