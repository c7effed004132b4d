using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using LoginEtl.Bench;

namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>A <c>login-etl</c> process of its own, to be stopped gracefully or killed as a replica would be.</summary>
sealed partial class EtlProcess : IDisposable
{
    readonly Process _process;
    readonly StringBuilder _output = new();

    EtlProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static EtlProcess Start(params string[] arguments) => Start(arguments, new Dictionary<string, string>());

    /// <summary>Starts the process with <paramref name="environment"/> added to the test's own environment.</summary>
    public static EtlProcess Start(string[] arguments, IReadOnlyDictionary<string, string> environment)
    {
        var process = Process.Start(LoginEtlLauncher.StartInfo(arguments, environment.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value))))!;
        process.StandardInput.Close();
        return new EtlProcess(process);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Started and taking messages (so a stop exercises the running service, not its start).</summary>
    public bool IsReceiving => Output.Contains("Receiving from", StringComparison.Ordinal);

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>The counts of the summary line a run prints when it stops; null if it printed none.</summary>
    public (long Received, long Stored, long AlreadyStored)? Summary => ParseSummary(Output);

    public static (long Received, long Stored, long AlreadyStored)? ParseSummary(string output) =>
        SummaryLine().Match(output) is { Success: true } match
            ? (long.Parse(match.Groups[1].Value), long.Parse(match.Groups[2].Value), long.Parse(match.Groups[3].Value))
            : null;

    /// <summary>
    /// The most physical memory the process has held so far (VmHWM of /proc/PID/status), in bytes; null once it
    /// has exited.
    /// </summary>
    public long? PeakResidentBytes() => ProcessUsage.PeakResidentBytes($"/proc/{_process.Id}/status");

    /// <summary>The file names of the assemblies (.dll) the process has mapped so far, from /proc/PID/maps.</summary>
    public IReadOnlySet<string> MappedAssemblies() =>
        File.ReadLines($"/proc/{_process.Id}/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6 && fields[^1].EndsWith(".dll", StringComparison.Ordinal))
            .Select(fields => Path.GetFileName(fields[^1]))
            .ToHashSet(StringComparer.Ordinal);

    public void Kill() => _process.Kill();

    /// <summary>SIGTERM, as an orchestrator stops a replica.</summary>
    public void Terminate() => Signal("-TERM");

    /// <summary>SIGINT, as Ctrl+C at a terminal.</summary>
    public void Interrupt() => Signal("-INT");

    void Signal(string signal)
    {
        using var kill = Process.Start("kill", [signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(new CancellationTokenSource(timeout).Token);

    void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill();
        _process.Dispose();
    }

    [GeneratedRegex(@"Received (\d+) messages in .*?: (\d+) stored, (\d+) already stored")]
    private static partial Regex SummaryLine();
}
