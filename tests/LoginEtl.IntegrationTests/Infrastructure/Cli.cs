using System.Diagnostics;
using LoginEtl.Worker.Commands;

namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>Runs the built <c>login-etl</c> as its own process, as an operator would.</summary>
static class Cli
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static async Task<Result> RunAsync(string[] arguments, string? standardInput = null, IDictionary<string, string?>? environment = null)
    {
        var assembly = typeof(RunCommand).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);

        // Only what the test says: no connection string or key inherited from the shell.
        start.Environment.Remove("ConnectionStrings__LoginDb");
        start.Environment.Remove("Masking__Key");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
            await process.StandardInput.WriteAsync(standardInput);
        process.StandardInput.Close();

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await output, await error);
    }
}
