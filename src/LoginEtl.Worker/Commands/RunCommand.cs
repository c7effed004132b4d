using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Worker.Commands;

/// <summary><c>login-etl run [--drain]</c>: the service; with --drain it exits 0 once the queue is empty.</summary>
static class RunCommand
{
    public static async Task<int> RunAsync(bool drain, string[] configurationArgs)
    {
        using var host = await LoginEtlHost.CreateRunHostAsync(drain, configurationArgs);
        var receiver = host.Services.GetRequiredService<SqsReceiveEndpoint>();
        await host.RunAsync();
        return receiver.Crashed ? 1 : 0;
    }
}
