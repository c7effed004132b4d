using System.Runtime.Serialization;
using System.Text.Json;
using LoginEtl.Worker.Contracts;
using MassTransit;
using MassTransit.Serialization;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Consumers;

/// <summary>
/// The endpoint policy of the login consumer, shared by the SQS endpoint (see <see cref="LoginEventDispatcherFactory"/>)
/// and the test harness: raw JSON bodies, and in-process retries for transient failures only.
/// </summary>
public sealed class LoginEventConsumerDefinition(IOptions<RetryOptions> retry) : ConsumerDefinition<LoginEventConsumer>
{
    // MassTransit's JSON options, shared by all its serializers in the process, match property names without
    // regard to case and keep the last of a duplicated property, so "IP" would be read as ip. A login event gets
    // options of its own, through MassTransit's per-type hook: exact names, and a duplicate is an error. Set once,
    // before any endpoint creates its deserializer (which reads the shared options when it is created).
    static LoginEventConsumerDefinition()
    {
        var options = new JsonSerializerOptions(SystemTextJsonMessageSerializer.Options);
        options.SetMessageSerializerOptions<LoginEvent>(exact =>
        {
            exact.PropertyNameCaseInsensitive = false;
            exact.AllowDuplicateProperties = false;
            return exact;
        });
        SystemTextJsonMessageSerializer.Options = options;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<LoginEventConsumer> consumerConfigurator, IRegistrationContext context) =>
        ConfigureEndpoint(endpointConfigurator, retry.Value);

    public static void ConfigureEndpoint(IReceiveEndpointConfigurator endpointConfigurator, RetryOptions options)
    {
        // SQS carries the producers' plain JSON, with no content type and no MassTransit envelope.
        endpointConfigurator.AddDeserializer(new LoginReadSerializerFactory(), isDefault: true);

        endpointConfigurator.UseMessageRetry(r =>
        {
            if (options.Limit == 0)
                r.None();
            else
                r.Exponential(options.Limit, options.MinInterval, options.MaxInterval, options.MinInterval);
            // A body that cannot be read now cannot be read on any retry.
            r.Ignore<JsonException>();
            r.Ignore<SerializationException>();
            r.Ignore<LoginRejectedException>();
        });
    }
}
