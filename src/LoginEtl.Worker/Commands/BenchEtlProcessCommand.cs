using System.CommandLine;
using LoginEtl.Worker.Bench;

namespace LoginEtl.Worker.Commands;

/// <summary>
/// The etl phase of <c>login-etl bench</c>, in a process of its own (see <see cref="EtlProcess"/>); started by the
/// benchmark, not by people, so it is left out of the help.
/// </summary>
sealed class BenchEtlProcessCommand : Command
{
    readonly Option<int> _warmUp = new("--warm-up") { Required = true };
    readonly Option<string> _report = new("--report") { Required = true };

    public BenchEtlProcessCommand(string[] settings)
        : base(EtlProcess.CommandName, "The etl phase of bench, in a process of its own.")
    {
        Hidden = true;
        Options.Add(_warmUp);
        Options.Add(_report);
        SetAction(async parsed =>
        {
            await EtlProcess.RunChildAsync(parsed.GetValue(_warmUp), parsed.GetValue(_report)!, settings);
            return LoginEtlCommandLine.Done;
        });
    }
}
