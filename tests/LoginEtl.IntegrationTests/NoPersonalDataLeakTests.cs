using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using LoginEtl.IntegrationTests.Infrastructure;

namespace LoginEtl.IntegrationTests;

/// <summary>A full run, valid and invalid messages alike, leaves no original ip or device_id in a log line or a span.</summary>
[Collection(IntegrationCollection.Alone)]
public class NoPersonalDataLeakTests
{
    static List<string> Bodies(List<SampleLogins.Login> logins) =>
    [
        .. logins.Select(SampleLogins.ToJson),
        .. logins.Take(5).Select(l => SampleLogins.ToJson(l with { AppVersion = "not-a-version" })),
        .. logins.Take(5).Select(l => SampleLogins.ToJson(l with { Locale = new string('l', 40) })),
        .. logins.Take(5).Select(l => SampleLogins.ToJson(l)[..^5]),
        .. logins.Take(5).Select(l => $$"""{"{{l.Ip}}": "{{l.DeviceId}}", "user_id": 7}"""),
    ];

    static void AssertNoneOf(List<SampleLogins.Login> logins, string captured)
    {
        Assert.NotEmpty(captured);
        foreach (var login in logins)
        {
            Assert.DoesNotContain(login.Ip, captured, StringComparison.Ordinal);
            Assert.DoesNotContain(login.DeviceId, captured, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("hash", "simple", "")]
    [InlineData("encrypt", "simple", "")]
    // Every provider at Trace: a provider-scoped rule outranks the category rules of appsettings.json.
    [InlineData("hash", "simple", "Console")]
    [InlineData("encrypt", "json", "Console")]
    public async Task No_original_value_reaches_a_log_line(string mode, string format, string provider)
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var logins = SampleLogins.Generate(200, seed: 7);
        await queues.SendAsync(Bodies(logins));

        var scope = provider.Length == 0 ? "" : provider + ":";
        var run = await Cli.RunAsync(["run", "--drain", .. Etl.Settings(database, queues, Etl.NewKey()),
            $"--Masking:Mode={mode}", "--Logging:LogLevel:Default=Trace", "--Logging:LogLevel:LoginEtl=Trace",
            $"--Logging:{scope}LogLevel:Default=Trace", $"--Logging:{scope}LogLevel:MassTransit=Trace", $"--Logging:Console:FormatterName={format}"],
            // Spans are recorded only for an OTLP endpoint: one where nothing listens, so that log lines carry their ids.
            environment: format == "json" ? new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{FreePort.Next()}" } : null);

        Assert.True(run.ExitCode == 0, run.Error);
        if (format == "json")
        {
            var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.All(lines, line => System.Text.Json.JsonDocument.Parse(line).Dispose());
            Assert.Contains(lines, line => line.Contains("\"TraceId\"", StringComparison.Ordinal) && line.Contains("\"SpanId\"", StringComparison.Ordinal));
            Assert.Matches("\"Timestamp\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\"", run.Output);
        }

        Assert.Contains("dead-lettered: invalid_app_version", run.Output, StringComparison.Ordinal);
        Assert.Contains("200 stored", run.Output, StringComparison.Ordinal);
        AssertNoneOf(logins, run.Output + run.Error);
    }

    [Fact]
    public async Task No_original_value_reaches_a_span()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var logins = SampleLogins.Generate(200, seed: 8);
        await queues.SendAsync(Bodies(logins));
        var spans = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => spans.Enqueue(Describe(activity)),
        };
        ActivitySource.AddActivityListener(listener);

        Assert.Equal(0, await Etl.DrainAsync(database, queues, Etl.NewKey()));

        Assert.Contains(spans, s => s.StartsWith("MassTransit ", StringComparison.Ordinal));
        Assert.Contains(spans, s => s.Contains("loginetl_inbox", StringComparison.Ordinal));
        AssertNoneOf(logins, string.Join('\n', spans));
    }

    static string Describe(Activity activity)
    {
        var text = new StringBuilder()
            .Append(activity.Source.Name).Append(' ').Append(activity.OperationName).Append(' ').Append(activity.DisplayName)
            .Append(' ').Append(activity.StatusDescription);
        foreach (var (key, value) in activity.TagObjects)
            text.Append(' ').Append(key).Append('=').Append(value);
        foreach (var activityEvent in activity.Events)
        {
            text.Append(" event:").Append(activityEvent.Name);
            foreach (var (key, value) in activityEvent.Tags)
                text.Append(' ').Append(key).Append('=').Append(value);
        }

        foreach (var (key, value) in activity.Baggage)
            text.Append(" baggage ").Append(key).Append('=').Append(value);
        return text.ToString();
    }
}
