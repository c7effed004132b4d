using System.Text.Json;
using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Worker;
using LoginEtl.Bench;
using Npgsql;

namespace LoginEtl.IntegrationTests;

/// <summary>The benchmark command works end to end on a small load; its figures are for its own report, not asserted.</summary>
[Collection(IntegrationCollection.Processes)]
public class BenchCommandTests
{
    [Fact]
    public async Task The_bench_prints_its_help_and_refuses_a_bad_option_in_one_line()
    {
        var help = await Cli.RunBenchAsync(["--help"]);
        Assert.True(help.ExitCode == 0, help.Error);
        foreach (var name in new[] { "--messages <N>", "--invalid-percent <P>", "--inbox-prefill <N>", "--sqs-latency-ms <N>", "--idle-seconds <S>", "--fifo-groups <N>", "--pipeline-only", "--json" })
            Assert.Contains(name, help.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(CeilingPhase.CommandName, help.Output, StringComparison.Ordinal);

        var usage = await Cli.RunBenchAsync(["--messages", "many"]);
        Assert.Equal(2, usage.ExitCode);
        Assert.StartsWith("login-etl-bench: --messages must be a whole number", usage.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_reports_every_figure_as_json_and_leaves_nothing_behind()
    {
        await using var database = await TestDatabase.CreateAsync();
        // The configured database's own tables: the benchmark works in a schema of its own and leaves them alone.
        await database.ExecuteAsync("""
            INSERT INTO user_logins VALUES ('production', 'ios', 'x', 'y', NULL, 1, '2020-01-01');
            INSERT INTO loginetl_inbox (sent_at, message_key, slot) VALUES (now(), gen_random_uuid(), 0);
            """);
        using var sqs = TestQueues.CreateClient();
        var queuesBefore = (await sqs.ListQueuesAsync("loginetl-bench-")).QueueUrls ?? [];

        // 5 ms on every SQS call; one-second long polls, so that the idle phase's few seconds see several.
        var bench = await Cli.RunBenchAsync(["--messages", "3000", "--invalid-percent", "5", "--inbox-prefill", "20000", "--json",
            "--sqs-latency-ms", "5", "--idle-seconds", "3", "--fifo-groups", "50", "--Sqs:WaitTimeSeconds=1",
            $"--ConnectionStrings:LoginDb={database.ConnectionString}", $"--Masking:Key={Etl.NewKey()}"]);

        Assert.True(bench.ExitCode == 0, bench.Error);
        Assert.Contains("SQS calls per 1000 messages", bench.Error, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(bench.Output);
        var root = report.RootElement;
        Assert.Equal(3000, root.GetProperty("messages").GetInt32());
        Assert.InRange(root.GetProperty("invalid").GetInt32(), 60, 240);
        foreach (var figure in new[] { "ceiling_msgs_per_s", "etl_msgs_per_s", "ratio", "pipeline_msgs_per_s", "peak_rss_mb", "etl_peak_rss_mb", "latency_p50_ms", "latency_p99_ms",
                     "ceiling_cpu_us_per_msg", "etl_cpu_us_per_msg", "pipeline_cpu_us_per_msg", "cpu_overhead", "postgres_cpu_us_per_msg", "etl_mean_batch_size" })
            Assert.True(root.GetProperty(figure).GetDouble() > 0, figure);
        Assert.Equal(5, root.GetProperty("sqs_latency_ms").GetInt32());
        // At most 10 messages a receive and 10 a batch delete: 200 calls per 1000 messages is the floor.
        Assert.True(root.GetProperty("sqs_calls_per_1000_msgs").GetDouble() >= 200, root.GetProperty("sqs_calls_per_1000_msgs").ToString());
        var calls = root.GetProperty("etl_sqs_calls");
        // Counted from the first reading of /metrics past the warm-up (ten a second near it) to the last settled message: most
        // of the 3,000 measured, a receive and a batch delete per ten at most.
        Assert.InRange(calls.GetProperty("ReceiveMessage").GetInt64(), 100, 3_000);
        Assert.InRange(calls.GetProperty("DeleteMessageBatch").GetInt64(), 100, 3_000);
        Assert.True(calls.GetProperty("SendMessageBatch").GetInt64() >= 1, "the invalid messages are dead-lettered");
        // One poller on an empty queue, one-second polls: about 3,600 receives an hour; all 32 would make about 115,000.
        Assert.InRange(root.GetProperty("idle_receives_per_hour").GetDouble(), 1, 2 * 3_600 * (3 + 1) / 3.0);
        Assert.True(root.GetProperty("latency_p99_ms").GetDouble() >= root.GetProperty("latency_p50_ms").GetDouble());
        // About 60 to 150 bytes an entry, whatever the machine.
        Assert.InRange(root.GetProperty("inbox_mb_per_million_msgs").GetDouble(), 40, 250);
        var prefilled = root.GetProperty("inbox_prefilled");
        Assert.Equal(20_000, prefilled.GetProperty("entries").GetInt64());
        Assert.InRange(prefilled.GetProperty("mb_per_million_entries").GetDouble(), 40, 250);
        foreach (var figure in new[] { "etl_msgs_per_s", "empty_before_msgs_per_s", "empty_after_msgs_per_s", "ratio" })
            Assert.True(prefilled.GetProperty(figure).GetDouble() > 0, figure);
        var fifo = Assert.Single(root.GetProperty("fifo").EnumerateArray());
        Assert.Equal(50, fifo.GetProperty("groups").GetInt32());
        Assert.True(fifo.GetProperty("etl_msgs_per_s").GetDouble() > 0);
        Assert.True(fifo.GetProperty("etl_cpu_us_per_msg").GetDouble() > 0);
        Assert.Equal("production", Assert.Single(await database.LoginsAsync()).UserId);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM loginetl_inbox"));

        Assert.Equal(queuesBefore, (await sqs.ListQueuesAsync("loginetl-bench-")).QueueUrls ?? []);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'loginetl_bench_%'"));
    }

    [Fact]
    public async Task The_pipeline_alone_reports_its_figures_and_stores_every_valid_message_of_both_passes()
    {
        await using var database = await TestDatabase.CreateAsync();

        var bench = await Cli.RunBenchAsync(["--pipeline-only", "--messages", "2000", "--json",
            $"--ConnectionStrings:LoginDb={database.ConnectionString}", $"--Masking:Key={Etl.NewKey()}"]);

        Assert.True(bench.ExitCode == 0, bench.Error);
        // The phase itself checks the rows of the warm-up and the measured pass, and fails the run if one is missing.
        Assert.Contains("pipeline: warmed up on 2000 messages; measuring 2000", bench.Error, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(bench.Output);
        var root = report.RootElement;
        Assert.Equal(2000, root.GetProperty("messages").GetInt32());
        foreach (var figure in new[] { "pipeline_msgs_per_s", "pipeline_cpu_us_per_msg", "pipeline_postgres_cpu_us_per_msg" })
            Assert.True(root.GetProperty(figure).GetDouble() > 0, figure);
        Assert.False(root.TryGetProperty("etl_msgs_per_s", out _));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'loginetl_bench_%'"));
    }

    [Fact]
    public async Task Bench_stops_before_writing_when_its_schema_is_not_the_current_one()
    {
        await using var database = await TestDatabase.CreateAsync();
        // As behind a pooler that drops search_path: the connections work in another schema than the benchmark's.
        var bench = new BenchDatabase(database.ConnectionString, "loginetl_bench_absent");

        var refused = await Assert.ThrowsAsync<StartupException>(bench.EnsureIsolatedAsync);

        Assert.Contains("not in its own 'loginetl_bench_absent'", refused.Message, StringComparison.Ordinal);
    }
}
