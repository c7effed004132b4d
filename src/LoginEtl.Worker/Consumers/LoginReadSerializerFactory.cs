using System.Net.Mime;
using LoginEtl.Worker.Contracts;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Serialization;

namespace LoginEtl.Worker.Consumers;

/// <summary>
/// The endpoint's raw JSON deserializer: MassTransit's, except that a body the SQS endpoint has already read (a
/// <see cref="LoginRead"/> payload on the receive context) reaches the consumer as the <see cref="LoginEvent"/> read
/// then, instead of being parsed into a JSON document and deserialized a second time. MassTransit has no hook to hand
/// its pipeline a message already deserialized, hence this wrapper; without the payload (MassTransit's own transports),
/// MassTransit's raw JSON deserializer reads the body as before.
/// </summary>
public sealed class LoginReadSerializerFactory : ISerializerFactory
{
    readonly SystemTextJsonRawMessageSerializerFactory _raw = new(RawSerializerOptions.AnyMessageType);

    public ContentType ContentType => _raw.ContentType;

    public IMessageSerializer CreateSerializer() => _raw.CreateSerializer();

    public IMessageDeserializer CreateDeserializer() => new Deserializer(_raw.CreateDeserializer());

    sealed class Deserializer(IMessageDeserializer raw) : IMessageDeserializer
    {
        public ContentType ContentType => raw.ContentType;

        public void Probe(ProbeContext context) => raw.Probe(context);

        public ConsumeContext Deserialize(ReceiveContext receiveContext) =>
            receiveContext.TryGetPayload<LoginRead>(out var read) && read.Event is { } login
                ? new BodyConsumeContext(receiveContext, new ReadContext(new RawMessageContext(receiveContext.TransportHeaders,
                    receiveContext.InputAddress, RawSerializerOptions.AnyMessageType), login))
                : raw.Deserialize(receiveContext);

        public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null) =>
            raw.Deserialize(body, headers, destinationAddress);

        public MessageBody GetMessageBody(string text) => raw.GetMessageBody(text);
    }

    // The login as read: MassTransit's serializer context for a message object it already holds, of the one type the
    // endpoint consumes, serialized back as raw JSON should anything forward it.
    sealed class ReadContext(MessageContext messageContext, LoginEvent login)
        : SystemTextJsonSerializerContext(SystemTextJsonMessageSerializer.Instance, SystemTextJsonMessageSerializer.Options,
            SystemTextJsonRawMessageSerializer.JsonContentType, messageContext, [], message: login)
    {
        public override bool IsSupportedMessageType<T>() => typeof(T) == typeof(LoginEvent);

        public override bool IsSupportedMessageType(Type messageType) => messageType == typeof(LoginEvent);

        public override IMessageSerializer GetMessageSerializer() =>
            new SystemTextJsonBodyMessageSerializer(Message, ContentType, Options, RawSerializerOptions.AnyMessageType);
    }
}
