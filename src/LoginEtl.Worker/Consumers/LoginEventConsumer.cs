using LoginEtl.Worker.Contracts;
using LoginEtl.Worker.Logins;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Telemetry;
using MassTransit;

namespace LoginEtl.Worker.Consumers;

/// <summary>
/// Validates a login event, masks its personal fields, encodes its version and stores it once, and leaves the outcome
/// (stored, already stored, or rejected with a kind and a reason) in the context's <see cref="OutcomeSlot"/>. An
/// invalid event is an outcome, not an exception, whatever made it invalid; a failed write throws what the database
/// said, for the pipeline's retries and then the transport.
/// </summary>
public sealed partial class LoginEventConsumer(LoginMasking masking, LoginWriter writer, LoginEtlTelemetry telemetry,
    ILogger<LoginEventConsumer> logger)
    : IConsumer<LoginEvent>
{
    public async Task Consume(ConsumeContext<LoginEvent> context)
    {
        var outcome = await StoreAsync(context.Message, DeliveryOf(context));
        context.GetOrAddPayload(static () => new OutcomeSlot()).Outcome = outcome;
    }

    async Task<LoginOutcome> StoreAsync(LoginEvent message, LoginDelivery delivery)
    {
        if (!LoginEventValidator.TryValidate(message, out var login, out var invalid))
            return LoginOutcome.Rejected(invalid);
        if (!masking.TryMask(login, out var masked, out var unmaskable))
            return LoginOutcome.Rejected(unmaskable);

        var row = new UserLogin
        {
            UserId = login.UserId,
            DeviceType = login.DeviceType,
            MaskedIp = masked.MaskedIp,
            MaskedDeviceId = masked.MaskedDeviceId,
            Locale = login.Locale,
            AppVersion = login.AppVersion,
            CreateDate = DateOnly.FromDateTime(delivery.Identity.FirstSentAt.UtcDateTime),
        };

        var outcome = await writer.WriteAsync(delivery.Identity, row, masked.Recovery);
        masking.Committed(masked.Recovery);
        telemetry.RecordLag(DateTimeOffset.UtcNow - delivery.SentAt);
        if (outcome == WriteOutcome.Stored)
            return LoginOutcome.Stored;

        LogAlreadyStored(logger, delivery.Identity.MessageId);
        return LoginOutcome.AlreadyStored;
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
