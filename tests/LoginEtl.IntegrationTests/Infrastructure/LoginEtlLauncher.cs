using System.Diagnostics;
using LoginEtl.Worker.Commands;

namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>How the tests start the built <c>login-etl</c>: as its own process, as an operator would.</summary>
static class LoginEtlLauncher
{
    /// <summary>
    /// <c>dotnet login-etl.dll ARGUMENTS</c> with the test's environment, less the connection string and the masking
    /// key a shell may hold (a test passes only what it says), plus <paramref name="environment"/> (a null value removes
    /// the variable). With <paramref name="assembly"/>, that program instead (the benchmark's).
    /// </summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments, IEnumerable<KeyValuePair<string, string?>>? environment = null,
        string? assembly = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(assembly ?? typeof(RunCommand).Assembly.Location);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);

        start.Environment.Remove("ConnectionStrings__LoginDb");
        start.Environment.Remove("Masking__Key");
        foreach (var (name, value) in environment ?? [])
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }

        return start;
    }
}
