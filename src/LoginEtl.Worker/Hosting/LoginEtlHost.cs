using LoginEtl.Worker.Outbox;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Worker.Hosting;

public static class LoginEtlHost
{
    /// <summary>
    /// A host builder whose appsettings.json is the one beside the executable, wherever it is started from,
    /// with the standard chain over it: environment (Section__Key) and command line (--Section:Key=value).
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.AddLoginEtlLogging();
        return builder;
    }

    /// <summary>
    /// Builds the host and checks every setting the command registered (<see cref="StartupChecks.ValidateSettings"/>);
    /// a bad one is a <see cref="StartupException"/> naming it.
    /// </summary>
    public static IHost Build(HostApplicationBuilder builder)
    {
        var host = builder.Build();
        try
        {
            StartupChecks.ValidateSettings(host.Services);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The service's host, not yet started, once every setting, the database and the queues have been checked.
    /// <paramref name="overrides"/> come last in the configuration chain.
    /// </summary>
    public static async Task<IHost> CreateRunHostAsync(bool drain, string[] configurationArgs, IDictionary<string, string?>? overrides = null)
    {
        var builder = CreateBuilder(configurationArgs);
        if (overrides is not null)
            builder.Configuration.AddInMemoryCollection(overrides);
        builder.AddLoginEtl();
        var host = Build(builder);
        try
        {
            var services = host.Services;
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

    /// <summary>
    /// Runs a host made by <see cref="CreateRunHostAsync"/> until it stops (drained, SIGTERM, Ctrl+C, or one of its
    /// services failed, which the host logs); false when a service failed.
    /// </summary>
    public static async Task<bool> RunToEndAsync(IHost host)
    {
        await host.StartAsync();
        await host.WaitForShutdownAsync();
        return !host.Services.GetServices<IHostedService>().OfType<BackgroundService>().Any(s => s.ExecuteTask is { IsFaulted: true });
    }
}
