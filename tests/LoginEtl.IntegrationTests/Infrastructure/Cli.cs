using System.Diagnostics;

namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>Runs a <c>login-etl</c> command to its end, as an operator would, and returns what it printed.</summary>
static class Cli
{
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public sealed record Result(int ExitCode, string Output, string Error);

    /// <summary>Runs <c>login-etl-bench</c>, the benchmark beside the service.</summary>
    public static Task<Result> RunBenchAsync(string[] arguments, IDictionary<string, string?>? environment = null) =>
        RunAsync(arguments, environment: environment, assembly: typeof(LoginEtl.Bench.BenchCommand).Assembly.Location);

    public static async Task<Result> RunAsync(string[] arguments, string? standardInput = null, IDictionary<string, string?>? environment = null,
        string? assembly = null)
    {
        using var process = Process.Start(LoginEtlLauncher.StartInfo(arguments, environment, assembly))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
            await process.StandardInput.WriteAsync(standardInput);
        process.StandardInput.Close();

        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"login-etl {string.Join(' ', arguments.Take(1))} did not exit within {Timeout.TotalMinutes} minutes:\n{await error}\n{await output}");
        }

        return new Result(process.ExitCode, await output, await error);
    }
}
