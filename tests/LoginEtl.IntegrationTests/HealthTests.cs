using System.Net;
using System.Net.Sockets;
using LoginEtl.IntegrationTests.Infrastructure;

namespace LoginEtl.IntegrationTests;

[Collection(IntegrationCollection.Name)]
public class HealthTests
{
    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

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
    }

    [Fact]
    public async Task Readiness_turns_false_while_held_messages_stop_moving()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var port = FreePort();
        using var service = EtlProcess.Start(["run", .. Etl.Settings(database, queues, Etl.NewKey()), $"--Health:Port={port}",
            "--Health:StallTimeout=00:00:02"]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.HoldsAsync(async () => await StatusAsync(http, "/health/ready") == HttpStatusCode.OK, "the service is ready");

        await using (await InboxLock.TakeAsync(database))
        {
            await queues.SendAsync(SampleLogins.Generate(5).Select(SampleLogins.ToJson));
            await Eventually.HoldsAsync(async () => await StatusAsync(http, "/health/ready") == HttpStatusCode.ServiceUnavailable,
                "readiness reports the stall");
            var body = await (await http.GetAsync("/health/ready")).Content.ReadAsStringAsync();
            Assert.Contains("\"processing\":\"stalled\"", body, StringComparison.Ordinal);
        }

        await Eventually.HoldsAsync(async () => await StatusAsync(http, "/health/ready") == HttpStatusCode.OK, "readiness recovers once messages move");
        Assert.Equal(5, (await database.LoginsAsync()).Count);
    }

    [Fact]
    public async Task Readiness_turns_false_while_the_database_is_down_and_back_when_it_returns()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var port = FreePort();
        using var service = EtlProcess.Start(["run", .. Etl.Settings(database, queues, Etl.NewKey()), $"--Health:Port={port}"]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.HoldsAsync(async () => await StatusAsync(http, "/health/live") == HttpStatusCode.OK, $"the service answers on /health/live\n{service.Output}");

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, "/health/ready"));

        await PostgresServer.StopAsync();
        try
        {
            // An outage shows once a write fails: send a message for the service to try.
            await queues.SendAsync(SampleLogins.Generate(1).Select(SampleLogins.ToJson));
            await Eventually.HoldsAsync(async () => (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable,
                "readiness reports the database down");
            var body = await (await http.GetAsync("/health/ready")).Content.ReadAsStringAsync();
            Assert.Contains("\"database\":\"unreachable\"", body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            await PostgresServer.StartAsync();
        }

        await Eventually.HoldsAsync(async () => (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK,
            "readiness recovers with the database");
        await Eventually.HoldsAsync(async () => (await database.LoginsAsync()).Count == 1, "the message sent during the outage is stored");
        Assert.False(service.HasExited);
    }
}
