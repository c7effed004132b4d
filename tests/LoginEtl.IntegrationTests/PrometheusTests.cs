using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Testing;
using LoginEtl.Worker.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace LoginEtl.IntegrationTests;

/// <summary>
/// The dashboard against a real Prometheus: it scrapes a running service through a steady load, and every query of
/// every panel is evaluated as Grafana would send it.
/// </summary>
[Collection(IntegrationCollection.Alone)]
public class PrometheusTests(ITestOutputHelper output)
{
    const int LoadMessages = 4_000;
    const double LoadPerSecond = 400;

    // The dashboard's p99 lag over its time range.
    const string RangeP99 = "histogram_quantile(0.99, sum by (le) (increase(loginetl_messages_lag_seconds_bucket" +
        "{job=\"login-etl\", namespace=~\"$namespace\", pod=~\"$pod\"}[$__range])))";

    [Fact]
    public async Task Promtool_accepts_the_shipped_Prometheus_configuration()
    {
        var result = await OperationsTool.RunAsync(OperationsTool.Require("promtool"),
            ["check", "config", Path.Combine(Repository.Root, "deploy/prometheus/prometheus.yml")]);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("SUCCESS", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_dashboard_query_returns_finite_values_and_the_p99_lag_matches_the_run_s_own()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var port = FreePort.Next();
        using var host = await LoginEtlHost.CreateRunHostAsync(drain: false, [.. Etl.Settings(database, queues, Etl.NewKey()), $"--Health:Port={port}"]);
        using var lags = new LagRecorder(host.Services.GetRequiredService<IMeterFactory>());
        await host.StartAsync();
        try
        {
            await using var prometheus = await PrometheusServer.StartAsync($"127.0.0.1:{port}", job: "login-etl");

            // A first few messages, one of them invalid, so that every series exists (and has been scraped) before the
            // measured load: a rate only counts what arrives after a series' first sample.
            var warmUp = Load(20, seed: 1, invalidEvery: 10);
            await queues.SendAsync(warmUp.Select(m => m.Body));
            var warmUpValid = warmUp.Count(m => m.Valid);
            await Eventually.HoldsAsync(async () => await ScrapedLagCountAsync(prometheus) >= warmUpValid, "Prometheus has scraped the first lags");

            lags.Start();
            var started = DateTimeOffset.UtcNow;
            var load = Load(LoadMessages, seed: 2, invalidEvery: 33);
            await SendSteadilyAsync(queues, load.Select(m => m.Body).ToList());
            var loadEnded = DateTimeOffset.UtcNow;
            var expected = warmUpValid + load.Count(m => m.Valid);
            await Eventually.HoldsAsync(async () => (await database.LoginsAsync()).Count == expected, "every valid message is stored");
            await Eventually.HoldsAsync(async () => await ScrapedLagCountAsync(prometheus) >= expected, "Prometheus has scraped every lag");
            var ended = DateTimeOffset.UtcNow;
            lags.Stop();

            // Grafana over a time range from the start of the load to now: the quantiles over that range, and each
            // panel's series at the middle of the load, where every rate window is inside it.
            var range = TimeSpan.FromSeconds(Math.Ceiling((ended - started).TotalSeconds));
            var middle = started + (loadEnded - started) / 2;
            foreach (var (panel, expression) in Repository.DashboardQueries())
            {
                var at = expression.Contains("$__range", StringComparison.Ordinal) ? ended : middle;
                var query = GrafanaVariables.Substitute(expression, range, PrometheusServer.ScrapeInterval);
                var series = await prometheus.QueryAsync(query, at);
                output.WriteLine($"{panel}: {query} -> {string.Join(", ", series.Select(s => $"{s.Labels} {s.Value}"))}");
                Assert.True(series.Any(s => double.IsFinite(s.Value)), $"panel '{panel}': {query} returned no finite value: {string.Join(", ", series)}");
            }

            var dashboardP99 = (await prometheus.QueryAsync(GrafanaVariables.Substitute(RangeP99, range, PrometheusServer.ScrapeInterval), ended)).Single().Value;
            Assert.Contains(Repository.DashboardQueries(), q => q.Expression.Contains(RangeP99, StringComparison.Ordinal));
            var runP99 = lags.Percentile(0.99);
            var comparison = $"p99 lag of {lags.Count} messages: dashboard {dashboardP99 * 1000:F1} ms, the run's own {runP99 * 1000:F1} ms";
            output.WriteLine(comparison);
            // Also in the console log of CI, where test output of passing tests is not shown.
            Console.WriteLine($"{nameof(PrometheusTests)}: {comparison}");
            Assert.Equal(load.Count(m => m.Valid), lags.Count);
            Assert.InRange(dashboardP99 / runP99, 0.5, 2.0);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    sealed record Message(string Body, bool Valid);

    static List<Message> Load(int count, int seed, int invalidEvery) =>
        SampleLogins.Generate(count, seed)
            .Select((login, i) => i % invalidEvery == invalidEvery - 1 ? new Message("not json", false) : new Message(SampleLogins.ToJson(login), true))
            .ToList();

    // Batches of ten on a fixed schedule, as a producer would send them, so that the lag is the service's own and not
    // the wait of a backlog.
    static async Task SendSteadilyAsync(TestQueues queues, List<string> bodies)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var sends = new List<Task>();
        for (var i = 0; i < bodies.Count; i += 10)
        {
            var due = TimeSpan.FromSeconds(i / LoadPerSecond) - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.Zero)
                await Task.Delay(due);
            sends.Add(queues.SendAsync(bodies.Skip(i).Take(10)));
        }

        await Task.WhenAll(sends);
    }

    static async Task<double> ScrapedLagCountAsync(PrometheusServer prometheus) =>
        (await prometheus.QueryAsync("sum(loginetl_messages_lag_seconds_count)", DateTimeOffset.UtcNow)).Select(s => s.Value).DefaultIfEmpty(0).Single();

    /// <summary>Every value the service records on <c>loginetl.messages.lag</c> while started, in seconds.</summary>
    sealed class LagRecorder : IDisposable
    {
        readonly MeterListener _listener = new();
        readonly ConcurrentQueue<double> _values = new();
        volatile bool _recording;

        public LagRecorder(IMeterFactory meters)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name == "loginetl.messages.lag")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
            {
                if (_recording)
                    _values.Enqueue(seconds);
            });
            _listener.Start();
        }

        public int Count => _values.Count;

        public void Start() => _recording = true;

        public void Stop() => _recording = false;

        public double Percentile(double quantile)
        {
            var sorted = _values.Order().ToArray();
            return sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
        }

        public void Dispose() => _listener.Dispose();
    }
}

/// <summary>
/// Grafana's built-in variables as it substitutes them in a Prometheus query for a time range, and the dashboard's
/// <c>$namespace</c> and <c>$pod</c> at "All": <c>$__interval</c> is the
/// range over the data points of a panel, never below the data source's scrape interval; <c>$__rate_interval</c> is
/// the larger of <c>$__interval</c> plus one scrape interval and four scrape intervals.
/// </summary>
static class GrafanaVariables
{
    const int MaxDataPoints = 1_000;

    public static string Substitute(string expression, TimeSpan range, TimeSpan scrapeInterval)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(scrapeInterval.TotalSeconds, Math.Ceiling(range.TotalSeconds / MaxDataPoints)));
        var rateInterval = TimeSpan.FromSeconds(Math.Max((interval + scrapeInterval).TotalSeconds, 4 * scrapeInterval.TotalSeconds));
        var values = new (string Name, string Value)[]
        {
            ("__rate_interval", Seconds(rateInterval)), ("__interval_ms", Milliseconds(interval)), ("__interval", Seconds(interval)),
            ("__range_s", Whole(range.TotalSeconds)), ("__range_ms", Milliseconds(range)), ("__range", Seconds(range)),
            // The dashboard's own variables at "All", whose value is any value or none.
            ("namespace", ".*"), ("pod", ".*"),
        };
        foreach (var (name, value) in values)
            expression = expression.Replace("${" + name + "}", value, StringComparison.Ordinal).Replace("$" + name, value, StringComparison.Ordinal);
        Assert.DoesNotContain("$", expression, StringComparison.Ordinal);
        return expression;

        static string Whole(double value) => Math.Round(value).ToString(CultureInfo.InvariantCulture);
        static string Seconds(TimeSpan value) => Whole(value.TotalSeconds) + "s";
        static string Milliseconds(TimeSpan value) => Whole(value.TotalMilliseconds);
    }
}
