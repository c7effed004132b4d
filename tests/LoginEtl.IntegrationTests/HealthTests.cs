using System.Net;
using System.Text.Json;
using LoginEtl.IntegrationTests.Infrastructure;

namespace LoginEtl.IntegrationTests;

[Collection(IntegrationCollection.Alone)]
public class HealthTests
{
    static async Task<HttpStatusCode?> StatusAsync(HttpClient http, string path)
    {
        try
        {
            return (await http.GetAsync(path)).StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException)
        {
            return null;
        }
    }

    // The status each check of a probe reports, e.g. {"database": "Unhealthy"}.
    static async Task<Dictionary<string, string>> ChecksAsync(HttpClient http, string path)
    {
        using var report = JsonDocument.Parse(await (await http.GetAsync(path)).Content.ReadAsStringAsync());
        return report.RootElement.GetProperty("checks").EnumerateObject()
            .ToDictionary(c => c.Name, c => c.Value.GetProperty("status").GetString()!);
    }

    static HttpClient Client(int port) => new() { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };

    // The settings of a test service without our own port setting, so that ASP.NET Core's decide.
    static string[] WithoutHealthPort(string[] settings) => settings.Where(s => !s.StartsWith("--Health:Port=", StringComparison.Ordinal)).ToArray();

    // A `run` of the test's database and queues with its endpoint on a port of its own, once it reports ready.
    sealed record ReadyService(EtlProcess Process, HttpClient Http) : IDisposable
    {
        public void Dispose()
        {
            Http.Dispose();
            Process.Dispose();
        }
    }

    static async Task<ReadyService> StartReadyAsync(TestDatabase database, TestQueues queues, params string[] settings)
    {
        var port = FreePort.Next();
        var ready = new ReadyService(EtlProcess.Start(["run", .. Etl.Settings(database, queues, Etl.NewKey()), $"--Health:Port={port}", .. settings]), Client(port));
        try
        {
            await Eventually.HoldsAsync(async () => await StatusAsync(ready.Http, "/health/ready") == HttpStatusCode.OK, $"the service is ready\n{ready.Process.Output}");
            return ready;
        }
        catch
        {
            ready.Dispose();
            throw;
        }
    }

    [Fact]
    public async Task The_endpoint_answers_its_three_paths_and_nothing_else()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        using var service = await StartReadyAsync(database, queues);
        var http = service.Http;

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, "/health/live"));
        using var metrics = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains("loginetl_messages_in_flight", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        foreach (var path in new[] { "/", "/health", "/health/ready/more", "/health/readyz", "/metricsx", "/favicon.ico" })
            Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(http, path));
    }

    [Fact]
    public async Task Readiness_lists_one_check_per_concern_and_liveness_only_the_long_stall()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        using var service = await StartReadyAsync(database, queues);
        var http = service.Http;

        Assert.Equal(new Dictionary<string, string> { ["database"] = "Healthy", ["queue"] = "Healthy", ["inbox"] = "Healthy", ["processing"] = "Healthy" },
            await ChecksAsync(http, "/health/ready"));
        Assert.Equal(new Dictionary<string, string> { ["processing-liveness"] = "Healthy" }, await ChecksAsync(http, "/health/live"));
    }

    [Fact]
    public async Task Readiness_turns_false_on_a_short_stall_and_liveness_only_on_a_much_longer_one()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        using var service = await StartReadyAsync(database, queues, "--Health:StallTimeout=00:00:01", "--Health:LivenessStallTimeout=00:00:12");
        var http = service.Http;

        await using (await InboxLock.TakeAsync(database))
        {
            await queues.SendAsync(SampleLogins.Generate(5).Select(SampleLogins.ToJson));
            await Eventually.HoldsAsync(async () => await StatusAsync(http, "/health/ready") == HttpStatusCode.ServiceUnavailable,
                "readiness reports the stall");
            Assert.Equal("Unhealthy", (await ChecksAsync(http, "/health/ready"))["processing"]);
            // Eleven seconds before liveness may fail: the pod leaves the rotation long before it is restarted.
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, "/health/live"));

            await Eventually.HoldsAsync(async () => await StatusAsync(http, "/health/live") == HttpStatusCode.ServiceUnavailable,
                "liveness reports the long stall");
            Assert.Equal("Unhealthy", (await ChecksAsync(http, "/health/live"))["processing-liveness"]);
        }

        await Eventually.HoldsAsync(async () => await StatusAsync(http, "/health/ready") == HttpStatusCode.OK, "readiness recovers once messages move");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, "/health/live"));
        Assert.Equal(5, (await database.LoginsAsync()).Count);
    }

    [Fact]
    public async Task Readiness_of_an_idle_service_turns_false_while_the_database_is_down_and_back_when_it_returns()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        using var service = await StartReadyAsync(database, queues);
        var http = service.Http;

        await PostgresServer.StopAsync();
        try
        {
            // No message is sent: the probe itself finds the database gone.
            await Eventually.HoldsAsync(async () => await StatusAsync(http, "/health/ready") == HttpStatusCode.ServiceUnavailable,
                "readiness reports the database down");
            var checks = await ChecksAsync(http, "/health/ready");
            Assert.Equal("Unhealthy", checks["database"]);
            Assert.Equal("Healthy", checks["queue"]);
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, "/health/live"));
            await queues.SendAsync(SampleLogins.Generate(1).Select(SampleLogins.ToJson));
        }
        finally
        {
            await PostgresServer.StartAsync();
        }

        await Eventually.HoldsAsync(async () => await StatusAsync(http, "/health/ready") == HttpStatusCode.OK, "readiness recovers with the database");
        await Eventually.HoldsAsync(async () => (await database.LoginsAsync()).Count == 1, "the message sent during the outage is stored");
        Assert.False(service.Process.HasExited);
    }

    [Theory]
    [InlineData("ASPNETCORE_HTTP_PORTS", "{0}")]
    [InlineData("ASPNETCORE_URLS", "http://127.0.0.1:{0}")]
    public async Task Without_a_setting_of_ours_the_probes_and_metrics_listen_where_ASP_NET_Core_s_settings_say(string variable, string format)
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var port = FreePort.Next();
        using var service = EtlProcess.Start(["run", .. WithoutHealthPort(Etl.Settings(database, queues, Etl.NewKey()))],
            new Dictionary<string, string> { [variable] = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, port) });
        using var http = Client(port);

        await Eventually.HoldsAsync(async () => await StatusAsync(http, "/health/ready") == HttpStatusCode.OK, $"the service is ready on {variable}\n{service.Output}");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, "/health/live"));
        Assert.Contains("loginetl_messages_in_flight", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_Port_overrides_ASP_NET_Core_s_port_and_0_turns_the_endpoint_off()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var (ours, theirs, off) = (FreePort.Next(), FreePort.Next(), FreePort.Next());
        var settings = WithoutHealthPort(Etl.Settings(database, queues, Etl.NewKey()));
        using var overriding = EtlProcess.Start(["run", .. settings, $"--Health:Port={ours}"],
            new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = theirs.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        // The host says when every hosted service, the endpoint's included, has started.
        using var turnedOff = EtlProcess.Start(["run", .. settings, "--Health:Port=0", "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information"],
            new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = off.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var oursHttp = Client(ours);
        using var theirsHttp = Client(theirs);
        using var offHttp = Client(off);

        await Eventually.HoldsAsync(async () => await StatusAsync(oursHttp, "/health/ready") == HttpStatusCode.OK, $"the service is ready on Health__Port\n{overriding.Output}");
        await Eventually.HoldsAsync(() => Task.FromResult(turnedOff.Output.Contains("Application started", StringComparison.Ordinal)),
            $"the other service has started\n{turnedOff.Output}");
        Assert.Null(await StatusAsync(theirsHttp, "/health/ready"));
        Assert.Null(await StatusAsync(offHttp, "/health/ready"));
    }
}
