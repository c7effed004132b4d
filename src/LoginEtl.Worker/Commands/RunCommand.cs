using LoginEtl.Worker.Hosting;

namespace LoginEtl.Worker.Commands;

/// <summary><c>login-etl run [--drain]</c>: the service; with --drain it exits 0 once the queue is empty.</summary>
static class RunCommand
{
    public static async Task<int> RunAsync(bool drain, string[] configurationArgs)
    {
        using var host = await LoginEtlHost.CreateRunHostAsync(drain, configurationArgs);
        await host.StartAsync();
        await host.WaitForShutdownAsync();
        // The host stops when one of its services fails, and logs why; the run then failed.
        return host.Services.GetServices<IHostedService>().OfType<BackgroundService>().Any(s => s.ExecuteTask is { IsFaulted: true }) ? 1 : 0;
    }
}
