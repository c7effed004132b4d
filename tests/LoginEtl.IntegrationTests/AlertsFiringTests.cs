using System.Text.RegularExpressions;
using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace LoginEtl.IntegrationTests;

/// <summary>
/// The shipped alerting rules (deploy/prometheus/alerts.yml), evaluated by a real Prometheus against the real
/// /metrics of a running service driven into trouble: invalid traffic, then a backlog while the database cannot be
/// reached. Only each rule's <c>for:</c> is shortened to nothing, so that a condition fires as soon as it holds
/// (promtool's tests cover the durations); the expressions are the shipped ones.
/// </summary>
[Collection(IntegrationCollection.Alone)]
public partial class AlertsFiringTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_shipped_alerts_fire_on_invalid_traffic_and_on_a_database_that_cannot_be_reached()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        await using var postgres = new TcpProxy(new NpgsqlConnectionStringBuilder(database.ConnectionString).Port);
        var throughProxy = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Host = "127.0.0.1", Port = postgres.Port }.ConnectionString;
        var rules = For().Replace(await File.ReadAllTextAsync(Repository.PathTo("deploy/prometheus/alerts.yml")), "$1for: 0s");
        var port = FreePort.Next();
        var settings = Etl.Settings(database, queues, Etl.NewKey()).Where(s => !s.StartsWith("--Health:Port=", StringComparison.Ordinal)
            && !s.StartsWith("--ConnectionStrings:", StringComparison.Ordinal)).ToArray();
        using var service = EtlProcess.Start(["run", .. settings, $"--ConnectionStrings:LoginDb={throughProxy}", $"--Health:Port={port}", "--Sqs:WaitTimeSeconds=1"]);
        await using var prometheus = await PrometheusServer.StartAsync($"127.0.0.1:{port}", "login-etl", rules);

        // Quiet while all is well: scraped and evaluated for a while, nothing fires.
        await Eventually.HoldsAsync(async () => (await prometheus.QueryAsync("up{job=\"login-etl\"} == 1", DateTimeOffset.UtcNow)).Count > 0,
            "Prometheus scrapes the service");
        await queues.SendAsync(SampleLogins.Generate(50, seed: 8).Select(SampleLogins.ToJson));
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Empty(await prometheus.QueryAsync("ALERTS", DateTimeOffset.UtcNow));

        // Invalid traffic, one message in four not a login, sent over a few seconds: a rate needs the counters to rise
        // between scrapes, as they do under steady traffic (a burst taken between two scrapes shows no rate).
        foreach (var chunk in SampleLogins.Generate(300, seed: 9).Select((l, i) => i % 4 == 0 ? "not json" : SampleLogins.ToJson(l)).Chunk(20))
        {
            await queues.SendAsync(chunk);
            await Task.Delay(PrometheusServer.ScrapeInterval);
        }

        await FiringAsync(prometheus, "LoginEtlDeadLetterRatioHigh");
        await FiringAsync(prometheus, "LoginEtlDeadLetterQueueNotEmpty");

        // A backlog while the database is unreachable.
        postgres.Cut();
        await queues.SendAsync(SampleLogins.Generate(200, seed: 10).Select(SampleLogins.ToJson));
        await FiringAsync(prometheus, "LoginEtlDatabaseNotWritable");

        var firing = await prometheus.QueryAsync("ALERTS{alertstate=\"firing\"}", DateTimeOffset.UtcNow);
        var line = "firing against the service's /metrics: " + string.Join(", ", firing.Select(a => AlertName().Match(a.Labels).Groups[1].Value).Order());
        output.WriteLine(line);
        Console.WriteLine($"{nameof(AlertsFiringTests)}: {line}");
        Assert.DoesNotContain(firing, a => a.Labels.Contains("LoginEtlMetricsAbsent", StringComparison.Ordinal));
        postgres.Restore();
    }

    async Task FiringAsync(PrometheusServer prometheus, string alert)
    {
        await Eventually.HoldsAsync(async () =>
            (await prometheus.QueryAsync($"ALERTS{{alertname=\"{alert}\", alertstate=\"firing\"}}", DateTimeOffset.UtcNow)).Count > 0,
            $"{alert} fires", TimeSpan.FromSeconds(90));
        output.WriteLine($"{alert} fires");
    }

    [GeneratedRegex(@"(?m)^(\s+)for: \S+$")]
    private static partial Regex For();

    [GeneratedRegex("\"alertname\":\"([^\"]+)\"")]
    private static partial Regex AlertName();
}
