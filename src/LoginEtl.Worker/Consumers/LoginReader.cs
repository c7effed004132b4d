using System.Text;
using LoginEtl.Worker.Contracts;
using LoginEtl.Worker.Logins;
using LoginEtl.Worker.Masking;

namespace LoginEtl.Worker.Consumers;

/// <summary>A login read from a body: valid and masked, or the reason it never can be.</summary>
public sealed record LoginRead(ValidLoginEvent? Login, MaskedLogin? Masked, Rejection? Rejection)
{
    /// <summary>When the envelope the login came in says it was published (SNS <c>Timestamp</c>, EventBridge <c>time</c>); null for a plain body.</summary>
    public DateTimeOffset? PublishedAt { get; init; }

    /// <summary>The SNS notification the login came in, kept for its signature; null for any other shape.</summary>
    public SnsNotification? Notification { get; init; }

    /// <summary>The event as read, before validation: what MassTransit hands the consumer, so that it does not read the body again.</summary>
    public LoginEvent? Event { get; init; }

    public static LoginRead Rejected(Rejection rejection) => new(null, null, rejection);
}

/// <summary>
/// Turns any body into a login ready to store or a typed rejection, in this order: its size, one strict pass of the
/// JSON that also reads the event's fields and notes an envelope's keys, the envelope (SNS or EventBridge, when the
/// body is one and <c>Sqs__Envelopes</c> accepts it) unwrapped to the login inside and that read strictly the same way,
/// validation, masking. It never throws, on any input: whatever a producer put in a message ends as one of the two.
/// </summary>
public sealed class LoginReader(LoginMasking masking)
{
    /// <summary>Reads a body as SQS delivered it, refusing one larger than <paramref name="maxBodyBytes"/> before any copy.</summary>
    public LoginRead Read(string body, int maxBodyBytes, BodyShapes accepted = BodyShapes.Auto) => Read(body, maxBodyBytes, accepted, out _);

    /// <summary>
    /// As <see cref="Read(string, int, BodyShapes)"/>, with the login's UTF-8 bytes when the body fits (what MassTransit
    /// is given): the body's own, or for an envelope the login inside it.
    /// </summary>
    public LoginRead Read(string body, int maxBodyBytes, BodyShapes accepted, out byte[]? utf8)
    {
        utf8 = null;
        try
        {
            if (BodySizeLimit.Check(body, maxBodyBytes) is { } tooLarge)
                return LoginRead.Rejected(tooLarge);
            utf8 = Encoding.UTF8.GetBytes(body);
            if (StrictJsonObject.Read(utf8, out var login, out var shape) is { } notStrict)
                return LoginRead.Rejected(notStrict);
            if (accepted == BodyShapes.None || shape == BodyShapes.Plain)
                return accepted.HasFlag(BodyShapes.Plain) || accepted == BodyShapes.None ? Read(login!) : LoginRead.Rejected(NotAccepted(shape));
            return ReadEnvelope(utf8, shape, accepted, out utf8);
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
                ? new LoginRead(valid, masked, null) { Event = login }
                : LoginRead.Rejected(unmaskable);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return LoginRead.Rejected(Unreadable(ex));
        }
    }

    // The login inside an envelope goes through the same strict pass, validation and masking as a plain body; what
    // fails there is the envelope's rejection, with the inner reason after the shape and its key.
    LoginRead ReadEnvelope(byte[] body, BodyShapes shape, BodyShapes accepted, out byte[]? utf8)
    {
        utf8 = null;
        if (shape == (BodyShapes.Sns | BodyShapes.EventBridge))
            return LoginRead.Rejected(new Rejection(InvalidKinds.Envelope, "body has the keys of both an sns and an eventbridge envelope"));
        if (!accepted.HasFlag(shape))
            return LoginRead.Rejected(NotAccepted(shape));
        if (LoginEnvelope.Read(body, shape, out var unwrapped) is { } malformed)
            return LoginRead.Rejected(malformed);

        var inside = shape == BodyShapes.Sns ? "sns Message" : "eventbridge detail";
        var read = StrictJsonObject.Read(unwrapped!.Utf8, out var login) is { } notStrict ? LoginRead.Rejected(notStrict) : Read(login!);
        if (read.Rejection is { } invalid)
            return LoginRead.Rejected(new Rejection(InvalidKinds.Envelope, $"{inside}: {invalid.Reason}"));
        utf8 = unwrapped.Utf8;
        return read with { PublishedAt = unwrapped.PublishedAt, Notification = unwrapped.Notification };
    }

    static Rejection NotAccepted(BodyShapes shape) => new(InvalidKinds.Envelope, shape == BodyShapes.Plain
        ? "plain bodies are not accepted (Sqs__Envelopes)"
        : $"{BodyShapesSetting.NameOf(shape)} envelopes are not accepted (Sqs__Envelopes)");

    // A rule that failed in a way no rule above foresaw: still the body's fault, as no retry reads it differently.
    // The exception's type only: its message may quote the body.
    static Rejection Unreadable(Exception ex) => new(InvalidKinds.MalformedJson, $"body could not be read ({ex.GetType().Name})");
}
