using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LoginEtl.Testing;

namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>A real Prometheus on a free loopback port, scraping one target every second, with a data directory of its own.</summary>
sealed class PrometheusServer : IAsyncDisposable
{
    public static readonly TimeSpan ScrapeInterval = TimeSpan.FromSeconds(1);

    readonly Process _process;
    readonly DirectoryInfo _directory;
    readonly HttpClient _http;

    PrometheusServer(Process process, DirectoryInfo directory, int port)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>Starts it; with <paramref name="rules"/>, the text of a rules file it loads and evaluates every second.</summary>
    public static async Task<PrometheusServer> StartAsync(string target, string job, string? rules = null)
    {
        var prometheus = OperationsTool.Require("prometheus");
        var directory = Directory.CreateTempSubdirectory("loginetl-prometheus-");
        var config = Path.Combine(directory.FullName, "prometheus.yml");
        if (rules is not null)
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "rules.yml"), rules);
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: {ScrapeInterval.TotalSeconds}s
              scrape_timeout: {ScrapeInterval.TotalSeconds}s
              evaluation_interval: {ScrapeInterval.TotalSeconds}s
            rule_files: [{(rules is null ? "" : "rules.yml")}]
            scrape_configs:
              - job_name: {job}
                static_configs:
                  - targets: ["{target}"]
            """);
        var port = FreePort.Next();
        var start = new ProcessStartInfo(prometheus) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])[$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory.FullName, "data")}",
                     $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"])
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new PrometheusServer(process, directory, port);
        await Eventually.HoldsAsync(server.IsReadyAsync, "Prometheus answers on /-/ready");
        return server;
    }

    async Task<bool> IsReadyAsync()
    {
        if (_process.HasExited)
            Assert.Fail($"prometheus exited with code {_process.ExitCode}");
        try
        {
            return (await _http.GetAsync("/-/ready")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>One sample per series of an instant query at <paramref name="time"/>, as (labels, value).</summary>
    public async Task<List<(string Labels, double Value)>> QueryAsync(string expression, DateTimeOffset time)
    {
        var url = $"/api/v1/query?query={Uri.EscapeDataString(expression)}&time={time.ToUnixTimeMilliseconds() / 1000.0:F3}";
        var response = await _http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Prometheus refused {expression}: {body}");
        using var json = JsonDocument.Parse(body);
        var data = json.RootElement.GetProperty("data");
        Assert.Equal("vector", data.GetProperty("resultType").GetString());
        return data.GetProperty("result").EnumerateArray()
            .Select(r => (r.GetProperty("metric").ToString(), ParseValue(r.GetProperty("value")[1].GetString()!)))
            .ToList();
    }

    // Prometheus writes sample values as Go formats them: "NaN", "+Inf", "-Inf" or a number.
    static double ParseValue(string value) => value switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ => double.Parse(value, CultureInfo.InvariantCulture),
    };

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _http.Dispose();
        _directory.Delete(recursive: true);
    }
}
