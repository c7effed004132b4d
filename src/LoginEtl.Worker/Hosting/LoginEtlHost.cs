using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Outbox;
using LoginEtl.Worker.Persistence;
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
    /// The service's host, not yet started, once every setting, the database and the queues have been checked.
    /// <paramref name="overrides"/> come last in the configuration chain.
    /// </summary>
    public static async Task<IHost> CreateRunHostAsync(bool drain, string[] configurationArgs, IDictionary<string, string?>? overrides = null)
    {
        var builder = CreateBuilder(configurationArgs);
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
