using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Worker.Commands;

/// <summary><c>login-etl run [--drain]</c>: the service; with --drain it exits 0 once the queue is empty.</summary>
static class RunCommand
{
    public static async Task<int> RunAsync(bool drain, string[] configurationArgs)
    {
        var builder = LoginEtlHost.CreateBuilder(configurationArgs);
        builder.AddLoginEtl();
        using var host = builder.Build();

        var services = host.Services;
        StartupChecks.ValidateOptions<MaskingOptions>(services);
        StartupChecks.ValidateOptions<SqsOptions>(services);
        StartupChecks.ValidateOptions<RetryOptions>(services);
        StartupChecks.ValidateOptions<WriterOptions>(services);
        using (var startup = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await StartupChecks.EnsureDatabaseReadyAsync(services, startup.Token);
            await StartupChecks.EnsureQueuesExistAsync(services, startup.Token);
        }

        services.GetRequiredService<DrainMonitor>().Enabled = drain;
        await host.RunAsync();
        return Environment.ExitCode;
    }
}
