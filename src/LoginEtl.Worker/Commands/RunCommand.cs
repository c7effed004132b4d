using System.CommandLine;
using LoginEtl.Worker.Hosting;

namespace LoginEtl.Worker.Commands;

/// <summary><c>login-etl run [--drain]</c>: the service; with --drain it exits 0 once the queue is empty.</summary>
sealed class RunCommand : Command
{
    readonly Option<bool> _drain = new("--drain")
    {
        Description = "Exit 0 once the queue holds no visible, in-flight or delayed message, instead of running until stopped.",
    };

    public RunCommand(string[] settings)
        : base("run", "Consume the queue until SIGTERM or Ctrl+C, then finish what is held and exit.")
    {
        Options.Add(_drain);
        SetAction(parsed => RunAsync(parsed.GetValue(_drain), settings));
    }

    public static async Task<int> RunAsync(bool drain, string[] configurationArgs)
    {
        using var host = await LoginEtlHost.CreateRunHostAsync(drain, configurationArgs);
        return await LoginEtlHost.RunToEndAsync(host) ? LoginEtlCommandLine.Done : LoginEtlCommandLine.Failed;
    }
}
