using LoginEtl.Worker.Contracts;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;
using LoginEtl.Worker.Telemetry;
using MassTransit;

namespace LoginEtl.Worker.Consumers;

/// <summary>
/// Validates a login event, masks its personal fields, encodes its version and stores it once.
/// An invalid event from SQS is rejected on its <see cref="SqsDelivery"/>, which the endpoint dead-letters; on
/// any other transport it throws <see cref="InvalidLoginEventException"/>. A failed write throws what the
/// database said.
/// </summary>
public sealed partial class LoginEventConsumer(LoginMasking masking, LoginWriter writer, LoginEtlTelemetry telemetry,
    ILogger<LoginEventConsumer> logger)
    : IConsumer<LoginEvent>
{
    public async Task Consume(ConsumeContext<LoginEvent> context)
    {
        ValidLoginEvent login;
        try
        {
            login = LoginEventValidator.Validate(context.Message);
        }
        catch (InvalidLoginEventException ex) when (context.TryGetPayload<SqsDelivery>(out var delivery))
        {
            delivery.Reject(new DeadLetterReason(ex.Kind, ex.Message));
            return;
        }

        var masked = masking.Mask(login);
        var (identity, loggedInAt, sentAt) = Identify(context);

        var row = new UserLogin
        {
            UserId = login.UserId,
            DeviceType = login.DeviceType,
            MaskedIp = masked.MaskedIp,
            MaskedDeviceId = masked.MaskedDeviceId,
            Locale = login.Locale,
            AppVersion = login.AppVersion,
            CreateDate = DateOnly.FromDateTime(loggedInAt.UtcDateTime),
        };

        var outcome = await writer.WriteAsync(identity, row, masked.Recovery);
        masking.Committed(masked.Recovery);
        telemetry.RecordLag(DateTimeOffset.UtcNow - sentAt);
        if (outcome == WriteOutcome.AlreadyStored)
            LogAlreadyStored(logger, identity.MessageId);
    }

    // From SQS the message's identity comes with the delivery: the id and send time of its first delivery, which is
    // also the login's time (a redriven login keeps its date), while the lag is measured from this delivery's own
    // send. On any other transport (the test harness) MassTransit's message id stands in, keyed with the time its
    // sequential id was made (the same for every delivery), and the send time is the login's time.
    static (InboxKey Identity, DateTimeOffset LoggedInAt, DateTimeOffset SentAt) Identify(ConsumeContext context)
    {
        if (context.TryGetPayload<SqsDelivery>(out var delivery))
            return (delivery.Identity, delivery.Identity.FirstSentAt, delivery.SentAt);

        var messageId = context.MessageId ?? throw new InvalidOperationException("The message has no message id to deduplicate on");
        var sentAt = context.SentTime ?? DateTime.UtcNow;
        return (new InboxKey(messageId.ToString(), new DateTimeOffset(NewId.FromGuid(messageId).Timestamp, TimeSpan.Zero)), sentAt, sentAt);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Message {MessageId} was stored before; this delivery adds no row")]
    static partial void LogAlreadyStored(ILogger logger, string messageId);
}
