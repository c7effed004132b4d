using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Testing;
using LoginEtl.Worker.Hosting;
using Npgsql;

namespace LoginEtl.IntegrationTests;

[Collection(IntegrationCollection.Alone)]
public partial class TelemetryTests
{
    [Fact]
    public async Task One_message_forms_one_trace_from_receive_to_commit_linked_to_its_producer_s()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var producer = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var id = (await queues.Sqs.SendMessageAsync(new Amazon.SQS.Model.SendMessageRequest(queues.Url, SampleLogins.ToJson(SampleLogins.Generate(1)[0]))
        {
            MessageAttributes = new()
            {
                ["traceparent"] = new Amazon.SQS.Model.MessageAttributeValue { DataType = "String", StringValue = $"00-{producer.TraceId}-{producer.SpanId}-01" },
            },
        })).MessageId;
        var invalidId = (await queues.SendAsync(["""{"foo": 1}"""]))[0];
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "LoginEtl" or "MassTransit" or "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        Assert.Equal(0, await Etl.DrainAsync(database, queues, Etl.NewKey()));

        var root = Assert.Single(spans, s => s.Source.Name == "LoginEtl" && (string?)s.GetTagItem("messaging.message.id") == id);
        Assert.Equal($"process {queues.Name}", root.DisplayName);
        Assert.Equal(ActivityKind.Consumer, root.Kind);
        Assert.Equal(("aws_sqs", "process", "process", queues.Name), ((string?)root.GetTagItem("messaging.system"), (string?)root.GetTagItem("messaging.operation.type"),
            (string?)root.GetTagItem("messaging.operation.name"), (string?)root.GetTagItem("messaging.destination.name")));
        Assert.Equal(ActivityStatusCode.Unset, root.Status);
        var link = Assert.Single(root.Links);
        Assert.Equal((producer.TraceId, producer.SpanId), (link.Context.TraceId, link.Context.SpanId));
        var trace = spans.Where(s => s.TraceId == root.TraceId).ToList();
        var write = Assert.Single(trace, s => s.OperationName == "loginetl write");
        Assert.Contains(trace, s => s.Source.Name == "MassTransit" && s.ParentSpanId == root.SpanId);
        Assert.Contains(trace, s => s.Source.Name == "Npgsql" && s.ParentSpanId == write.SpanId);
        Assert.Null(root.Parent);
        var rejected = Assert.Single(spans, s => s.Source.Name == "LoginEtl" && (string?)s.GetTagItem("messaging.message.id") == invalidId);
        Assert.Equal(ActivityStatusCode.Error, rejected.Status);
        Assert.Equal("missing_field", rejected.GetTagItem("error.type"));
        Assert.Empty(rejected.Links);
    }

    [Fact]
    public async Task The_scrape_endpoint_exports_the_service_and_runtime_metrics_and_MassTransit_s_only_when_asked()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        await queues.SendAsync([.. SampleLogins.Generate(20).Select(SampleLogins.ToJson), "not json"]);

        var metrics = await ScrapeAfterRunAsync(database, queues, expectedRows: 20, "loginetl_messages_dead_lettered_total");
        await queues.SendAsync([.. SampleLogins.Generate(5, seed: 5).Select(SampleLogins.ToJson)]);
        var withMassTransit = await ScrapeAfterRunAsync(database, queues, expectedRows: 25, "loginetl_messages_stored_total",
            "--Telemetry:MassTransitMetrics=true");

        foreach (var name in new[]
        {
            "loginetl_messages_received_total", "loginetl_messages_stored_total", "loginetl_messages_lag_seconds_bucket",
            "loginetl_write_batch_size_bucket", "loginetl_write_duration_seconds_bucket", "loginetl_messages_in_flight",
        })
            Assert.Contains(name, metrics, StringComparison.Ordinal);
        Assert.Contains("error_type=\"not_an_object\"", metrics, StringComparison.Ordinal);
        // OpenTelemetry's messaging conventions, beside the service's own names.
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("messaging_client_consumed_messages_total{", StringComparison.Ordinal)
            && l.Contains($"messaging_destination_name=\"{queues.Name}\"", StringComparison.Ordinal) && l.EndsWith(" 21", StringComparison.Ordinal));
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("messaging_process_duration_seconds_count{", StringComparison.Ordinal)
            && l.Contains("error_type=\"not_an_object\"", StringComparison.Ordinal) && l.EndsWith(" 1", StringComparison.Ordinal));
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("messaging_process_duration_seconds_count{", StringComparison.Ordinal)
            && !l.Contains("error_type", StringComparison.Ordinal) && l.EndsWith(" 20", StringComparison.Ordinal));
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("messaging_client_operation_duration_seconds_bucket{", StringComparison.Ordinal)
            && l.Contains("messaging_operation_name=\"ReceiveMessage\"", StringComparison.Ordinal));
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("loginetl_queue_depth{", StringComparison.Ordinal)
            && l.Contains($"queue=\"{queues.DeadLetterName}\"", StringComparison.Ordinal));
        Assert.DoesNotContain(metrics.Split('\n'), l => l.StartsWith("messaging_masstransit_", StringComparison.Ordinal));
        Assert.Contains(withMassTransit.Split('\n'), l => l.StartsWith("messaging_masstransit_", StringComparison.Ordinal));
        var exported = metrics.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split('{', ' ')[0]).ToHashSet();
        Assert.All(Repository.DashboardMetrics(), name =>
            Assert.True(exported.Any(e => e == name || e.StartsWith(name + "_", StringComparison.Ordinal)), $"the dashboard queries {name}, which the service does not export"));
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("dotnet_", StringComparison.Ordinal));

        // Npgsql's pool metrics carry the data source's name, and nothing of the connection string.
        var connection = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var labelValues = LabelValue().Matches(metrics).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("db_client_operation_duration_seconds_bucket{", StringComparison.Ordinal)
            && l.Contains($"db_client_connection_pool_name=\"{LoginDatabaseRegistration.DataSourceName}\"", StringComparison.Ordinal));
        Assert.DoesNotContain(labelValues, v => v.Contains(connection.Database!, StringComparison.Ordinal) || v.Contains(connection.Host!, StringComparison.Ordinal)
            || v == connection.Username || v == connection.Port.ToString(CultureInfo.InvariantCulture));
    }

    [GeneratedRegex("=\"([^\"]*)\"")]
    private static partial Regex LabelValue();

    // Runs the service until the database holds expectedRows, then returns a scrape that shows the given metric.
    static async Task<string> ScrapeAfterRunAsync(TestDatabase database, TestQueues queues, int expectedRows, string shown, params string[] extra)
    {
        var port = FreePort.Next();
        using var service = EtlProcess.Start(["run", .. Etl.Settings(database, queues, Etl.NewKey()), $"--Health:Port={port}", .. extra]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await Eventually.HoldsAsync(async () => (await database.LoginsAsync()).Count == expectedRows, "the messages are stored");
        string metrics = "";
        await Eventually.HoldsAsync(async () =>
        {
            metrics = await http.GetStringAsync("/metrics");
            return metrics.Contains(shown, StringComparison.Ordinal);
        }, $"the scrape shows {shown}");
        return metrics;
    }
}
