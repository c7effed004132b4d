using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Outbox;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Worker.Commands;

/// <summary><c>login-etl run [--drain]</c>: the service; with --drain it exits 0 once the queue is empty.</summary>
static class RunCommand
{
    public static async Task<int> RunAsync(bool drain, string[] configurationArgs)
    {
        using var host = await CreateHostAsync(drain, configurationArgs);
        var receiver = host.Services.GetRequiredService<SqsReceiveEndpoint>();
        await host.RunAsync();
        return receiver.Crashed ? 1 : 0;
    }

    /// <summary>
    /// The service's host, not yet started, once every setting, the database and the queues have been checked.
    /// <paramref name="overrides"/> come last in the configuration chain.
    /// </summary>
    public static async Task<IHost> CreateHostAsync(bool drain, string[] configurationArgs, IDictionary<string, string?>? overrides = null)
    {
        var builder = LoginEtlHost.CreateBuilder(configurationArgs);
        if (overrides is not null)
            builder.Configuration.AddInMemoryCollection(overrides);
        builder.AddLoginEtl();
        var host = builder.Build();
        try
        {
            var services = host.Services;
            StartupChecks.ValidateOptions<MaskingOptions>(services);
            StartupChecks.ValidateOptions<SqsOptions>(services);
            StartupChecks.ValidateOptions<RetryOptions>(services);
            StartupChecks.ValidateOptions<WriterOptions>(services);
            StartupChecks.ValidateOptions<HealthOptions>(services);
            StartupChecks.ValidateOptions<InboxOptions>(services);
            using (var startup = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                await StartupChecks.EnsureDatabaseReadyAsync(services, startup.Token);
                await StartupChecks.EnsureQueuesExistAsync(services, startup.Token);
                await services.GetRequiredService<OutboxSender>().ResolveAsync(startup.Token);
            }

            services.GetRequiredService<DrainMonitor>().Enabled = drain;
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}
