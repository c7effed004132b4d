namespace LoginEtl.Worker.Commands;

/// <summary>
/// The <c>--Section:Key=value</c> tokens of a command line (deeper paths too: <c>--Logging:LogLevel:Default=Debug</c>).
/// They go to .NET configuration, over appsettings.json and the environment, wherever they stand on the line; the
/// rest is the command's own. A key without a section (<c>--mesages=5</c>) is not a setting, so a mistyped option is
/// a usage error rather than a setting nobody reads; after <c>--</c> nothing is.
/// </summary>
static class SettingArguments
{
    public static (string[] Settings, string[] Arguments) Split(IReadOnlyList<string> args)
    {
        var settings = new List<string>();
        var arguments = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--")
            {
                arguments.AddRange(args.Skip(i));
                break;
            }

            (IsSetting(args[i]) ? settings : arguments).Add(args[i]);
        }

        return ([.. settings], [.. arguments]);
    }

    public static bool IsSetting(string token)
    {
        if (!token.StartsWith("--", StringComparison.Ordinal))
            return false;
        var equals = token.IndexOf('=', StringComparison.Ordinal);
        return equals > 2 && token.IndexOf(':', 2, equals - 2) > 2;
    }
}
