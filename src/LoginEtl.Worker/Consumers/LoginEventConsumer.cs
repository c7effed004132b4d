using LoginEtl.Worker.Contracts;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Telemetry;
using MassTransit;

namespace LoginEtl.Worker.Consumers;

/// <summary>
/// Stores one login event once: valid and masked as <see cref="LoginReader"/> read it (the SQS endpoint reads the body
/// before the pipeline and passes what it read as a payload; MassTransit's own transports are read here), its SNS
/// signature verified first when <c>Sns__VerifySignatures</c> is on (which may fetch a certificate, something the reader
/// never does). A consumer
/// returns nothing: it returns when the row is stored or was stored before, throws <see cref="LoginRejectedException"/>
/// for an event that never can be, and throws what the database said for a failed write, for the pipeline's retries
/// and then the transport.
/// </summary>
public sealed partial class LoginEventConsumer(LoginReader reader, LoginMasking masking, LoginWriter writer, SnsSignatureVerifier signatures,
    LoginEtlTelemetry telemetry, ILogger<LoginEventConsumer> logger)
    : IConsumer<LoginEvent>
{
    public async Task Consume(ConsumeContext<LoginEvent> context)
    {
        var read = context.TryGetPayload<LoginRead>(out var passed) ? passed : reader.Read(context.Message);
        if (read.Rejection is { } rejection)
            throw new LoginRejectedException(rejection);
        if (signatures.Enabled && read.Notification is { } notification
            && await signatures.CheckAsync(notification, context.CancellationToken) is { } unsigned)
            throw new LoginRejectedException(unsigned);

        var (login, masked, delivery) = (read.Login!, read.Masked!, DeliveryOf(context));
        var row = new UserLogin
        {
            UserId = login.UserId,
            DeviceType = login.DeviceType,
            MaskedIp = masked.MaskedIp,
            MaskedDeviceId = masked.MaskedDeviceId,
            Locale = login.Locale,
            AppVersion = login.AppVersion,
            // When the event was published, as its envelope says; else when the message was first sent.
            CreateDate = DateOnly.FromDateTime((read.PublishedAt ?? delivery.Identity.FirstSentAt).UtcDateTime),
        };

        var outcome = await writer.WriteAsync(delivery.Identity, row, masked.Recovery);
        masking.Committed(masked.Recovery);
        telemetry.RecordLag(DateTimeOffset.UtcNow - delivery.SentAt);
        if (outcome == WriteOutcome.AlreadyStored)
            LogAlreadyStored(logger, delivery.Identity.MessageId);
    }

    // What the transport said of the delivery, read-only. MassTransit's own transports (the test harness) say it in
    // their headers: the message id, keyed with the time its sequential id was made (the same for every delivery).
    static LoginDelivery DeliveryOf(ConsumeContext context)
    {
        if (context.TryGetPayload<LoginDelivery>(out var delivery))
            return delivery;

        var messageId = context.MessageId ?? throw new InvalidOperationException("The message has no message id to deduplicate on");
        var identity = new InboxKey(messageId.ToString(), new DateTimeOffset(NewId.FromGuid(messageId).Timestamp, TimeSpan.Zero));
        return new LoginDelivery(messageId.ToString(), context.SentTime ?? DateTime.UtcNow, identity, ReceiveCount: 1);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Message {MessageId} was stored before; this delivery adds no row")]
    static partial void LogAlreadyStored(ILogger logger, string messageId);
}
