using System.CommandLine;

namespace LoginEtl.Worker.Commands;

/// <summary><c>login-etl</c>: its commands, each with its own help (<c>login-etl COMMAND --help</c>), and <c>--version</c>.</summary>
sealed class LoginEtlRootCommand : RootCommand
{
    const string About = """
        Takes login events off an SQS queue, masks ip and device_id, and writes one row per event to PostgreSQL.

        Settings come from appsettings.json, the environment (Section__Key) and --Section:Key=value anywhere on the line.
        Exit codes: 0 done, 1 failed (one line on standard error), 2 usage.
        """;

    /// <param name="settings">The command line's <c>--Section:Key=value</c> tokens, for the commands' configuration.</param>
    public LoginEtlRootCommand(string[] settings)
        : base(About)
    {
        Subcommands.Add(new MigrateCommand(settings));
        Subcommands.Add(new RunCommand(settings));
        Subcommands.Add(new ProduceCommand(settings));
        Subcommands.Add(new DeadLettersCommand(settings));
        Subcommands.Add(new RedriveCommand(settings));
        Subcommands.Add(new KeygenCommand());
        Subcommands.Add(new UnmaskCommand(settings));
    }
}
