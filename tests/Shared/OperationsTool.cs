using System.Diagnostics;

namespace LoginEtl.Testing;

/// <summary>
/// The operations tools the tests run for real (prometheus, promtool, shellcheck, kubectl): found on PATH, or the
/// test fails saying how to get it. scripts/services.sh installs all but kubectl.
/// </summary>
static class OperationsTool
{
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    public static string Require(string name) =>
        Find(name) ?? throw new InvalidOperationException(
            $"{name} is not on PATH: run the tests through ./scripts/test.sh, whose scripts/services.sh installs it (Debian packages)");

    public sealed record Result(int ExitCode, string Output);

    /// <summary>Runs the tool to completion; standard output and error together.</summary>
    public static async Task<Result> RunAsync(string path, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null)
            start.WorkingDirectory = workingDirectory;
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await output + await error);
    }
}
