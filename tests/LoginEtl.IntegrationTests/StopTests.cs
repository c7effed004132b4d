using System.Diagnostics;
using LoginEtl.IntegrationTests.Infrastructure;

namespace LoginEtl.IntegrationTests;

/// <summary>How `login-etl run` stops: Ctrl+C at a terminal cuts the long polls short; SIGTERM lets them return (CrashTests).</summary>
[Collection(IntegrationCollection.Alone)]
public class StopTests
{
    [Fact]
    public async Task Ctrl_C_stops_an_idle_run_without_waiting_for_its_long_polls_and_it_exits_0_with_its_summary()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        await queues.SendAsync(SampleLogins.Generate(5).Select(SampleLogins.ToJson));
        using var service = EtlProcess.Start(["run", .. Etl.Settings(database, queues, Etl.NewKey()), "--Sqs:WaitTimeSeconds=20"]);
        await Eventually.HoldsAsync(async () => (await database.LoginsAsync()).Count == 5, $"the messages are stored\n{service.Output}");
        // Every poller is now in a long poll of 20 s on an empty queue.
        await Task.Delay(TimeSpan.FromSeconds(1));

        var stopping = Stopwatch.StartNew();
        service.Interrupt();
        await service.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(15), $"stopped in {stopping.Elapsed.TotalSeconds:F1} s; the long polls last 20 s");
        Assert.Equal(0, service.ExitCode);
        Assert.Equal((5L, 5L, 0L), service.Summary);
    }
}
