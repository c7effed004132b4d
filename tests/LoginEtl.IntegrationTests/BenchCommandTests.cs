using System.Text.Json;
using LoginEtl.IntegrationTests.Infrastructure;
using Npgsql;

namespace LoginEtl.IntegrationTests;

/// <summary>The benchmark command works end to end on a small load; its figures are for its own report, not asserted.</summary>
[Collection(IntegrationCollection.Name)]
public class BenchCommandTests
{
    [Fact]
    public async Task Bench_reports_every_figure_as_json_and_leaves_nothing_behind()
    {
        await using var database = await TestDatabase.CreateAsync();
        using var sqs = TestQueues.CreateClient();
        var queuesBefore = (await sqs.ListQueuesAsync("loginetl-bench-")).QueueUrls ?? [];

        var bench = await Cli.RunAsync(["bench", "--messages", "3000", "--invalid-percent", "5", "--json",
            $"--ConnectionStrings:LoginDb={database.ConnectionString}", $"--Masking:Key={Etl.NewKey()}"]);

        Assert.True(bench.ExitCode == 0, bench.Error);
        Assert.Contains("bench: etl: login-etl run --drain", bench.Error, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(bench.Output);
        var root = report.RootElement;
        Assert.Equal(3000, root.GetProperty("messages").GetInt32());
        Assert.InRange(root.GetProperty("invalid").GetInt32(), 60, 240);
        foreach (var figure in new[] { "ceiling_msgs_per_s", "etl_msgs_per_s", "ratio", "pipeline_msgs_per_s", "peak_rss_mb", "latency_p50_ms", "latency_p99_ms" })
            Assert.True(root.GetProperty(figure).GetDouble() > 0, figure);
        Assert.True(root.GetProperty("latency_p99_ms").GetDouble() >= root.GetProperty("latency_p50_ms").GetDouble());

        Assert.Equal(queuesBefore, (await sqs.ListQueuesAsync("loginetl-bench-")).QueueUrls ?? []);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'loginetl_bench_%'"));
    }
}
