using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using LoginEtl.Worker.Masking;

namespace LoginEtl.Worker.Commands;

/// <summary>
/// Reads the command line and runs the command it names. Exit codes: <see cref="Done"/>, <see cref="Failed"/> (with
/// one line on standard error, <c>login-etl: what failed: why</c>, never a stack trace) and <see cref="Usage"/> (an
/// unknown command or option, a missing or bad argument: one line saying which).
/// </summary>
static partial class LoginEtlCommandLine
{
    public const int Done = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    public static Task<int> InvokeAsync(string[] args) => InvokeAsync(args, settings => new LoginEtlRootCommand(settings), "login-etl");

    /// <summary>Runs the command line of <paramref name="program"/>, whose root command <paramref name="rootFor"/> makes from the settings.</summary>
    public static async Task<int> InvokeAsync(string[] args, Func<string[], RootCommand> rootFor, string program)
    {
        var (settings, arguments) = SettingArguments.Split(args);
        // No response files: an argument that starts with @ (a file to produce, say) is taken as it is.
        var parsed = rootFor(settings).Parse(arguments, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var command = CommandLineOf(parsed.CommandResult, program);
        if (parsed.Action is ParseErrorAction)
        {
            await Console.Error.WriteLineAsync($"{program}: {OneLine(string.Join(" ", parsed.Errors.Select(e => e.Message)))} See '{command} --help'.");
            return Usage;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                // SIGTERM and Ctrl+C are left to the host, which stops `run` gracefully, and to the runtime's defaults.
                ProcessTerminationTimeout = null,
            });
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"{program}: {FailureOf(ex, command)}");
            return Failed;
        }
    }

    // A StartupException or an UnmaskException is written as the line to read; anything else says which command failed.
    static string FailureOf(Exception exception, string command) => exception switch
    {
        StartupException or UnmaskException => OneLine(exception.Message),
        AggregateException aggregate => $"{command} failed: {OneLine(string.Join("; ", aggregate.Flatten().InnerExceptions.Select(e => e.Message)))}",
        _ => $"{command} failed: {OneLine(exception.Message)}",
    };

    static string CommandLineOf(CommandResult result, string program) =>
        result.Parent is CommandResult parent ? $"{CommandLineOf(parent, program)} {result.Command.Name}" : program;

    static string OneLine(string text) => LineBreaks().Replace(text.Trim(), " ");

    [GeneratedRegex(@"\s*[\r\n]+\s*")]
    private static partial Regex LineBreaks();
}
