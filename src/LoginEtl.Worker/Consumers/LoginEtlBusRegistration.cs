using MassTransit;

namespace LoginEtl.Worker.Consumers;

public static class LoginEtlBusRegistration
{
    /// <summary>
    /// The one bus configuration shared by the service and the tests: the login consumer with its definition,
    /// and MassTransit's usage telemetry off (it would post to the vendor).
    /// </summary>
    public static IBusRegistrationConfigurator AddLoginEtlConsumers(this IBusRegistrationConfigurator configurator)
    {
        configurator.DisableUsageTelemetry();
        configurator.AddConsumer<LoginEventConsumer, LoginEventConsumerDefinition>();
        return configurator;
    }
}
