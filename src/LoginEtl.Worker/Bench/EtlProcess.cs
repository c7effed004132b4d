using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Telemetry;

namespace LoginEtl.Worker.Bench;

/// <summary>
/// The etl in a process of its own, as a replica runs it: <c>login-etl</c> started again with the hidden
/// <see cref="CommandName"/> command, which drains the benchmark's queue with the service's own host (what
/// <c>run --drain</c> runs, its probes' endpoint listening and probed as in a pod) and writes what it cost after the
/// first <c>--warm-up</c> messages to a file. Its peak resident set is the service's, not the benchmark's: the whole
/// process's, start and warm-up included.
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

    /// <summary>Starts the etl process on the benchmark's queue (or <paramref name="queueName"/>) and waits for its report.</summary>
    public static async Task<EtlReport> RunAsync(BenchEnvironment bench, int warmUpMessages, string? queueName = null)
    {
        var report = Path.Combine(Path.GetTempPath(), $"loginetl-bench-etl-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
        // Under `dotnet login-etl.dll` the process is dotnet, and the assembly comes first.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            start.ArgumentList.Add(typeof(EtlProcess).Assembly.Location);
        foreach (var (name, value) in ImageGcSettings)
            start.Environment.TryAdd(name, value);
        // The probes' endpoint listens, as in a pod (the benchmark's own hosts run without it).
        var port = FreePort();
        foreach (var argument in (string[])[CommandName, "--warm-up", warmUpMessages.ToString(CultureInfo.InvariantCulture), "--report", report,
                     .. bench.SettingArguments(queueName), $"--Health:Port={port}"])
            start.ArgumentList.Add(argument);

        using var process = Process.Start(start)!;
        var output = new OutputTail();
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = Stopwatch.GetTimestamp();
        await using (bench.Progress(() => $"etl: process {process.Id} draining ({Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s)"))
        using (var exited = new CancellationTokenSource())
        {
            var probing = ProbeAsync(port, exited.Token);
            await process.WaitForExitAsync();
            await exited.CancelAsync();
            await probing;
        }

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

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // The readiness probe every 5 s, as the Deployment's: its requests run code, and hold memory, a replica's does.
    static async Task ProbeAsync(int port, CancellationToken exited)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(3) };
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(exited))
            {
                try
                {
                    using var _ = await client.GetAsync("health/ready", exited);
                }
                catch (HttpRequestException)
                {
                    // Not listening yet, or gone: the process's exit code tells.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// In the etl process: drains the queue with one host, as a replica runs, and writes the report of what came after
    /// the first <paramref name="warmUpMessages"/> received: the rate to the last settled message, the CPU and the SQS
    /// calls from there to the end.
    /// </summary>
    public static async Task RunChildAsync(int warmUpMessages, string reportPath, string[] settings)
    {
        using var host = await LoginEtlHost.CreateRunHostAsync(drain: true, settings);
        var telemetry = host.Services.GetRequiredService<LoginEtlTelemetry>();
        using var stop = new CancellationTokenSource();
        var warmedUp = WhenReceivedAsync(telemetry, warmUpMessages, stop.Token);
        var drained = await LoginEtlHost.RunToEndAsync(host);
        await stop.CancelAsync();
        if (!drained)
            throw new StartupException("the drain failed (see the log above)");
        if (await warmedUp is not { } mark)
            throw new StartupException($"the drain ended before {warmUpMessages} messages were received");

        var cpu = Process.GetCurrentProcess().TotalProcessorTime - mark.Cpu;
        var summary = telemetry.Summary();
        var received = summary.Received - mark.Received;
        var busy = summary.Busy - mark.Busy;
        var calls = telemetry.SqsRequests()
            .Select(c => (c.Key, Count: c.Value - mark.SqsRequests.GetValueOrDefault(c.Key)))
            .Where(c => c.Count > 0)
            .ToDictionary(c => c.Key, c => c.Count, StringComparer.Ordinal);
        await File.WriteAllTextAsync(reportPath, JsonSerializer.Serialize(new EtlReport(received, busy.TotalSeconds, cpu.TotalSeconds,
            ProcessUsage.PeakResidentMegabytes(), calls)));
    }

    // Where the measurement starts: checked every 10 ms (a few messages at these rates, against 150,000 or more measured).
    static async Task<Mark?> WhenReceivedAsync(LoginEtlTelemetry telemetry, int count, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var summary = telemetry.Summary();
                if (summary.Received >= count)
                    return new Mark(summary.Received, summary.Busy, Process.GetCurrentProcess().TotalProcessorTime, telemetry.SqsRequests());
            }
        }
        catch (OperationCanceledException)
        {
        }

        return null;
    }

    // What the process had done when the warm-up ended: Busy runs from the first receive to the last settled message.
    sealed record Mark(long Received, TimeSpan Busy, TimeSpan Cpu, IReadOnlyDictionary<string, long> SqsRequests);

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
