using System.Runtime.Serialization;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Consumers;

/// <summary>
/// The endpoint policy of the login consumer, shared by the SQS endpoint (see <see cref="LoginEventDispatcherFactory"/>)
/// and the test harness: raw JSON bodies, and in-process retries for transient failures only.
/// </summary>
public sealed class LoginEventConsumerDefinition(IOptions<RetryOptions> retry) : ConsumerDefinition<LoginEventConsumer>
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<LoginEventConsumer> consumerConfigurator, IRegistrationContext context) =>
        ConfigureEndpoint(endpointConfigurator, retry.Value);

    public static void ConfigureEndpoint(IReceiveEndpointConfigurator endpointConfigurator, RetryOptions options)
    {
        // SQS carries the producers' plain JSON, with no content type and no MassTransit envelope.
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);

        endpointConfigurator.UseMessageRetry(r =>
        {
            if (options.Limit == 0)
                r.None();
            else
                r.Exponential(options.Limit, options.MinInterval, options.MaxInterval, options.MinInterval);
            // A message that is wrong now is wrong on every retry.
            r.Ignore<InvalidLoginEventException>();
            r.Ignore<JsonException>();
            r.Ignore<SerializationException>();
        });
    }
}
