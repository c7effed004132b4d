using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Telemetry;

namespace LoginEtl.Bench;

/// <summary>
/// The etl as a replica runs it: the built <c>login-etl run --drain</c> in a process of its own, with the image's
/// collector settings, its probes' endpoint listening and probed as in a pod. It is measured from outside, as an
/// operator would: its counters read from its <c>/metrics</c>, its CPU and peak resident set from <c>/proc</c>, twice a
/// second, and ten times a second from a second before the end of the warm-up and of the drain. The measurement starts once <c>--warm-up</c>
/// messages were received and ends at the last reading where a message was settled; its peak resident set is the whole
/// process's, start and warm-up included.
/// </summary>
static class EtlProcess
{
    /// <summary>
    /// The collector's settings the image gives a replica (Dockerfile), which the runtime takes from the environment
    /// only: the etl process (and the ceiling's) runs with them, unless the benchmark's own environment sets them, so
    /// that its peak is what a replica's would be.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> ImageGcSettings = new Dictionary<string, string>
    {
        ["DOTNET_GCgen0size"] = "0x800000",
        ["DOTNET_GCRegionSize"] = "0x100000",
    };

    // A scrape of /metrics costs the service about 1.7 ms of CPU: ten a second would add about 2 us to each of 9,000
    // messages a second, where Prometheus scrapes a replica every 15-30 s. The end of the warm-up and of the drain are
    // read closely, so that the measurement starts near the mark and the drain's idle tail does not count as busy time.
    static readonly TimeSpan ReadEvery = TimeSpan.FromMilliseconds(500), ReadClosely = TimeSpan.FromMilliseconds(100);

    /// <summary>Starts the etl on the benchmark's queue (or <paramref name="queueName"/>), drains it, and says what it cost.</summary>
    public static async Task<EtlReport> RunAsync(BenchEnvironment bench, int warmUpMessages, string? queueName = null)
    {
        var port = FreePort();
        var start = LoginEtl(["run", "--drain", .. bench.SettingArguments(queueName), $"--Health:Port={port}"]);
        foreach (var (name, value) in ImageGcSettings)
            start.Environment.TryAdd(name, value);

        // The drain receives the warm-up and the measured messages: the end of each is read closely.
        var total = (long)warmUpMessages + bench.MessageCount;
        using var process = Process.Start(start)!;
        var output = new OutputTail();
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(3) };
        // Until a reading passes the warm-up, the last one before it; at first, the process's start (nothing done yet).
        var beforeMark = new Reading(Now(), TimeSpan.Zero, ProcStat.CpuOfAll("postgres"), 0, 0, 0, 0, new Dictionary<string, long>());
        Reading? mark = null, last = null, previous = null, latest = null;
        double peakRss = 0;
        var started = Stopwatch.GetTimestamp();
        await using (bench.Progress(() => $"etl: login-etl run --drain (process {process.Id}) {last?.Received ?? 0} received ({Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s)"))
        using (var exited = new CancellationTokenSource())
        {
            var probing = ProbeAsync(client, exited.Token);
            while (!process.HasExited)
            {
                var closely = Near(previous, latest, mark is null ? warmUpMessages : total);
                await Task.WhenAny(process.WaitForExitAsync(), Task.Delay(closely ? ReadClosely : ReadEvery));
                if (await ReadAsync(client, process.Id) is not { } reading)
                    continue;
                (previous, latest) = (latest, reading);
                peakRss = Math.Max(peakRss, ProcessUsage.PeakResidentBytes($"/proc/{process.Id}/status") ?? 0);
                if (mark is null && reading.Received >= warmUpMessages)
                    mark = reading;
                else if (mark is null)
                    beforeMark = reading;
                if (last is null || reading.Settled != last.Settled)
                    last = reading;
            }

            await exited.CancelAsync();
            await probing;
        }

        if (process.ExitCode != 0)
            throw new StartupException($"login-etl run --drain exited with {process.ExitCode}: {output}");
        if (last is null || last.Received == 0)
            throw new StartupException($"login-etl run --drain received nothing that its /metrics showed: {output}");
        // A drain shorter than the readings (a small run) went past the warm-up between two of them: it is measured from
        // the reading before, the process's start at worst, and so includes some of its warm-up.
        if (mark is null || last.Received <= mark.Received)
            mark = beforeMark;
        var calls = last.SqsRequests.Select(c => (c.Key, Count: c.Value - mark.SqsRequests.GetValueOrDefault(c.Key)))
            .Where(c => c.Count > 0)
            .ToDictionary(c => c.Key, c => c.Count, StringComparer.Ordinal);
        return new EtlReport(last.Received - mark.Received, (last.At - mark.At).TotalSeconds, (last.Cpu - mark.Cpu).TotalSeconds,
            peakRss / 1024 / 1024, calls)
        {
            PostgresCpuMicroseconds = (last.Postgres - mark.Postgres).TotalMicroseconds / Math.Max(1, last.Stored - mark.Stored),
            MeanBatchSize = (last.Stored - mark.Stored) / (double)Math.Max(1, last.Commits - mark.Commits),
        };
    }

    // Whether the count of received messages may pass the boundary before a second has gone, at the rate of the last two
    // readings; and from the start until a message has been received, since a drain that starts on a full queue runs
    // at once at full speed.
    static bool Near(Reading? previous, Reading? latest, long boundary)
    {
        if (latest is null || previous is null || latest.Received == 0)
            return true;
        var rate = (latest.Received - previous.Received) / Math.Max(1e-3, (latest.At - previous.At).TotalSeconds);
        return latest.Received + rate * 2 * ReadEvery.TotalSeconds >= boundary;
    }

    /// <summary>The built login-etl with <paramref name="arguments"/>: its own executable beside this one, as the image runs it.</summary>
    public static ProcessStartInfo LoginEtl(IEnumerable<string> arguments)
    {
        var assembly = typeof(LoginEtlHost).Assembly.Location;
        var executable = Path.ChangeExtension(assembly, null);
        var start = File.Exists(executable)
            ? new ProcessStartInfo(executable)
            : new ProcessStartInfo("dotnet") { ArgumentList = { assembly } };
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return start;
    }

    // One reading: the counters the service exports, and the process's CPU time read right after them.
    static async Task<Reading?> ReadAsync(HttpClient client, int pid)
    {
        string text;
        try
        {
            text = await client.GetStringAsync("metrics");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null; // Not listening yet, or gone.
        }

        var at = Now();
        if (ProcStat.CpuOf(pid) is not { } cpu)
            return null;
        // Every PostgreSQL process (the etl's backends, WAL writer, checkpointer...), the server being on this machine;
        // the etl's backends live as long as its connection pool, so from before the mark to after the last reading.
        var postgres = ProcStat.CpuOfAll("postgres");
        var metrics = PrometheusText.Parse(text);
        return new Reading(at, cpu, postgres,
            (long)metrics.Sum("loginetl_messages_received_total"), (long)metrics.Sum("loginetl_messages_stored_total"),
            (long)(metrics.Sum("loginetl_messages_stored_total") + metrics.Sum("loginetl_messages_duplicates_total")
                + metrics.Sum("loginetl_messages_dead_lettered_total") + metrics.Sum("loginetl_messages_redelivered_total")),
            (long)metrics.Sum("loginetl_write_batch_size_count"),
            metrics.SumBy("loginetl_sqs_requests_total", "rpc_method").ToDictionary(c => c.Key, c => (long)c.Value, StringComparer.Ordinal));
    }

    static TimeSpan Now() => TimeSpan.FromTicks((long)(Stopwatch.GetTimestamp() * (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency));

    sealed record Reading(TimeSpan At, TimeSpan Cpu, TimeSpan Postgres, long Received, long Stored, long Settled, long Commits,
        IReadOnlyDictionary<string, long> SqsRequests);

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // The readiness probe every 5 s, as the Deployment's: its requests run code, and hold memory, a replica's does.
    static async Task ProbeAsync(HttpClient client, CancellationToken exited)
    {
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

    /// <summary>The local PostgreSQL server's CPU time per row stored over the measured drain, in microseconds.</summary>
    [JsonPropertyName("postgres_cpu_us_per_msg")]
    public double PostgresCpuMicroseconds { get; init; }

    /// <summary>Rows stored per database transaction over the measured drain: what PostgreSQL's cost a row depends on most.</summary>
    [JsonPropertyName("mean_batch_size")]
    public double MeanBatchSize { get; init; }
}
