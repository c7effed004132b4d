using System.Globalization;
using System.Text.RegularExpressions;
using LoginEtl.IntegrationTests.Infrastructure;

namespace LoginEtl.IntegrationTests;

/// <summary>How many long polls a replica keeps open, read where an operator reads it: the /metrics scrape.</summary>
[Collection(IntegrationCollection.Alone)]
public partial class AdaptivePollersTests
{
    const int MaxPollers = 16;

    [Fact]
    public async Task An_idle_replica_keeps_one_long_poll_open_and_a_backlog_opens_more_up_to_the_setting()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var port = FreePort.Next();
        using var service = EtlProcess.Start(["run", .. Etl.Settings(database, queues, Etl.NewKey()), $"--Health:Port={port}",
            "--Sqs:WaitTimeSeconds=1", $"--Sqs:Pollers={MaxPollers}"]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await Eventually.HoldsAsync(() => Task.FromResult(service.IsReceiving), "the service receives");
        await Eventually.HoldsAsync(async () => await PollersAsync(http) is not null, "the scrape shows the pollers");

        // Idle: one poller, each of its long polls one second; 16 pollers would make about 16 receives a second.
        var window = TimeSpan.FromSeconds(8);
        var receivesBefore = await ReceivesAsync(http);
        await Task.Delay(window);
        var idleReceives = await ReceivesAsync(http) - receivesBefore;
        Assert.Equal(1, await PollersAsync(http));
        Assert.InRange(idleReceives, 1, 2 * (window.TotalSeconds + 1));

        // A backlog: full receives open more pollers, never more than the setting.
        var sending = queues.SendAsync(SampleLogins.Generate(20_000).Select(SampleLogins.ToJson));
        var most = 0d;
        await Eventually.HoldsAsync(async () =>
        {
            most = Math.Max(most, await PollersAsync(http) ?? 0);
            return sending.IsCompleted && (await database.LoginsAsync()).Count == 20_000;
        }, "the backlog is stored", TimeSpan.FromMinutes(3));
        await sending;
        Assert.InRange(most, 2, MaxPollers);

        // Empty again: back to one.
        await Eventually.HoldsAsync(async () => await PollersAsync(http) == 1, "the replica is back to one poller");
    }

    static async Task<double?> PollersAsync(HttpClient http) =>
        Pollers().Match(await http.GetStringAsync("/metrics")) is { Success: true } match ? Value(match) : null;

    static async Task<double> ReceivesAsync(HttpClient http) =>
        Receives().Match(await http.GetStringAsync("/metrics")) is { Success: true } match ? Value(match) : 0;

    static double Value(Match match) => double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^loginetl_sqs_pollers(\{[^}]*\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Pollers();

    [GeneratedRegex(@"^loginetl_sqs_requests_total\{[^}]*rpc_method=""ReceiveMessage""[^}]*\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Receives();
}
