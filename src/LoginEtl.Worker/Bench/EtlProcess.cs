using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Telemetry;

namespace LoginEtl.Worker.Bench;

/// <summary>
/// The etl in a process of its own, as a replica runs it: <c>login-etl</c> started again with the hidden
/// <see cref="CommandName"/> command, which drains a warm-up queue and then the measured queue with the service's own
/// host (what <c>run --drain</c> runs), and writes what the second drain cost to a file. Its peak resident set is the
/// service's, not the benchmark's.
/// </summary>
static class EtlProcess
{
    public const string CommandName = "bench-etl-process";

    /// <summary>
    /// The collector's settings the image gives a replica (Dockerfile), which the runtime takes from the environment
    /// only: the etl process runs with them, unless the benchmark's own environment sets them, so that its peak is
    /// what a replica's would be.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> ImageGcSettings = new Dictionary<string, string>
    {
        ["DOTNET_GCgen0size"] = "0x400000",
        ["DOTNET_GCRegionSize"] = "0x100000",
    };

    /// <summary>Starts the etl process on the benchmark's queue and waits for its report.</summary>
    public static async Task<EtlReport> RunAsync(BenchEnvironment bench, string warmUpQueue)
    {
        var report = Path.Combine(Path.GetTempPath(), $"loginetl-bench-etl-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
        // Under `dotnet login-etl.dll` the process is dotnet, and the assembly comes first.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            start.ArgumentList.Add(typeof(EtlProcess).Assembly.Location);
        foreach (var (name, value) in ImageGcSettings)
            start.Environment.TryAdd(name, value);
        foreach (var argument in (string[])[CommandName, "--warm-up-queue", warmUpQueue, "--report", report, .. bench.SettingArguments()])
            start.ArgumentList.Add(argument);

        using var process = Process.Start(start)!;
        var output = new OutputTail();
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = Stopwatch.GetTimestamp();
        await using (bench.Progress(() => $"etl: process {process.Id} draining ({Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s)"))
            await process.WaitForExitAsync();

        try
        {
            if (process.ExitCode != 0 || !File.Exists(report))
                throw new StartupException($"the etl process exited with {process.ExitCode}: {output}");
            return JsonSerializer.Deserialize<EtlReport>(await File.ReadAllTextAsync(report))!;
        }
        finally
        {
            File.Delete(report);
        }
    }

    /// <summary>In the etl process: drains the warm-up queue, then the measured one, and writes the report.</summary>
    public static async Task RunChildAsync(string warmUpQueue, string reportPath, string[] settings)
    {
        await DrainAsync(settings, new() { ["Sqs:QueueName"] = warmUpQueue, ["Sqs:DeadLetterQueueName"] = warmUpQueue + "-dlq" });
        // A replica runs one host. The warm-up's, stopped, leaves its compiled code and loaded images, as a replica
        // that has been working has them, but not its garbage: collected, and the peak counted from here.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        ProcessUsage.ResetPeakResident();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var telemetry = await DrainAsync(settings, []);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var summary = telemetry.Summary();
        await File.WriteAllTextAsync(reportPath, JsonSerializer.Serialize(new EtlReport(summary.Received, summary.Busy.TotalSeconds,
            cpu.TotalSeconds, ProcessUsage.PeakResidentMegabytes(), telemetry.SqsRequests())));
    }

    static async Task<LoginEtlTelemetry> DrainAsync(string[] settings, Dictionary<string, string?> overrides)
    {
        using var host = await LoginEtlHost.CreateRunHostAsync(drain: true, settings, overrides);
        if (!await LoginEtlHost.RunToEndAsync(host))
            throw new StartupException("the drain failed (see the log above)");
        return host.Services.GetRequiredService<LoginEtlTelemetry>();
    }

    // The last lines a failed process wrote, for the error.
    sealed class OutputTail
    {
        readonly Queue<string> _lines = new();

        public void Add(string? line)
        {
            if (line is null)
                return;
            lock (_lines)
            {
                _lines.Enqueue(line);
                if (_lines.Count > 20)
                    _lines.Dequeue();
            }
        }

        public override string ToString()
        {
            lock (_lines)
                return string.Join(" | ", _lines);
        }
    }
}

/// <summary>What the etl process measured over the measured drain.</summary>
public sealed record EtlReport(
    [property: JsonPropertyName("received")] long Received,
    [property: JsonPropertyName("busy_s")] double BusySeconds,
    [property: JsonPropertyName("cpu_s")] double CpuSeconds,
    [property: JsonPropertyName("peak_rss_mb")] double PeakRssMegabytes,
    [property: JsonPropertyName("sqs_requests")] IReadOnlyDictionary<string, long> SqsRequests)
{
    public double Rate => Received / BusySeconds;
}
