using MassTransit;
using MassTransit.Configuration;
using MassTransit.Transports;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Consumers;

/// <summary>
/// The receive pipeline that a transport endpoint of our own hands each login event to: MassTransit's
/// deserialization, the endpoint policy of <see cref="LoginEventConsumerDefinition"/> and one
/// <see cref="LoginEventConsumer"/> for every message. The consumer's dependencies are all singletons, so it
/// needs no DI scope per message; the dispatcher that MassTransit builds for a registered consumer would create
/// and dispose one for each, which cost as much CPU as masking and validation together.
/// </summary>
public sealed class LoginEventDispatcherFactory(IBusInstance bus, IServiceProvider services, IOptions<RetryOptions> retry)
{
    public IReceiveEndpointDispatcher Create(string queueName)
    {
        var endpoint = bus.HostConfiguration.CreateReceiveEndpointConfiguration(queueName);
        var configurator = (IReceiveEndpointConfigurator)endpoint;
        // What MassTransit's own dispatchers set: failures reach the caller, which settles the message.
        configurator.ThrowOnSkippedMessages();
        configurator.RethrowFaultedMessages();
        configurator.PublishFaults = false;
        configurator.ConfigureConsumeTopology = false;

        LoginEventConsumerDefinition.ConfigureEndpoint(configurator, retry.Value);
        configurator.Instance(ActivatorUtilities.CreateInstance<LoginEventConsumer>(services));

        endpoint.Validate().ThrowIfContainsFailure($"The receive pipeline for {queueName} is invalid:");
        return new ReceiveEndpointDispatcher(endpoint.CreateReceiveEndpointContext());
    }
}
