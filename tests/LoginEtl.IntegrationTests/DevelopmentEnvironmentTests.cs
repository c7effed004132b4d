using LoginEtl.IntegrationTests.Infrastructure;

namespace LoginEtl.IntegrationTests;

/// <summary>
/// Every command under <c>DOTNET_ENVIRONMENT=Development</c>, as <c>dotnet run</c> starts them with the launch profile:
/// there the host validates its whole service graph when it is built, so a command whose host registers something it
/// cannot construct fails there first.
/// </summary>
[Collection(IntegrationCollection.Processes)]
public class DevelopmentEnvironmentTests
{
    static readonly Dictionary<string, string?> Development = new() { ["DOTNET_ENVIRONMENT"] = "Development" };

    static async Task<Cli.Result> RunAsync(string[] arguments, string? input = null)
    {
        var result = await Cli.RunAsync(arguments, input, Development);
        Assert.True(result.ExitCode == 0, $"login-etl {string.Join(' ', arguments.Take(2))} exited {result.ExitCode} in Development:\n{result.Error}\n{result.Output}");
        return result;
    }

    [Fact]
    public async Task Every_command_works_in_the_Development_environment()
    {
        await using var database = await TestDatabase.CreateAsync(migrate: false);
        await using var queues = await TestQueues.CreateAsync();
        // The demo key the stack publishes: taken in Development (and refused elsewhere, CommandLineTests shows).
        var settings = Etl.Settings(database, queues, "KKavrgPEtCtixeyQZC14ycDbMoVDXo2Idas+alOPEng=", "--Masking:Mode=encrypt");
        var keys = Path.Combine(Path.GetTempPath(), $"loginetl-dev-{Guid.NewGuid():N}");
        var logins = SampleLogins.Generate(3, seed: 5);
        try
        {
            await RunAsync(["migrate", .. settings]);
            await RunAsync(["produce", "-", .. settings], string.Join('\n', logins.Select(SampleLogins.ToJson).Append("""{"foo": 1}""")) + "\n");
            var run = await RunAsync(["run", "--drain", .. settings]);
            var deadLetters = await RunAsync(["dead-letters", .. settings]);
            var redrive = await RunAsync(["redrive", .. settings]);
            await RunAsync(["keygen"]);
            await RunAsync(["keygen", "--recovery", "--out", keys]);
            var masked = await database.ScalarAsync<string>($"SELECT masked_ip FROM user_logins WHERE user_id = '{logins[0].UserId}'");
            var unmasked = await RunAsync(["unmask", masked, .. settings]);
            // The benchmark, beside the service, starts login-etl run --drain in the same environment.
            var bench = await Cli.RunBenchAsync(["--messages", "200", "--inbox-prefill", "0", "--idle-seconds", "1", "--json", "--Sqs:WaitTimeSeconds=1",
                $"--ConnectionStrings:LoginDb={database.ConnectionString}", $"--Masking:Key={Etl.NewKey()}"], Development);
            Assert.True(bench.ExitCode == 0, $"login-etl-bench exited {bench.ExitCode} in Development:\n{bench.Error}");

            Assert.Contains("3 stored", run.Output, StringComparison.Ordinal);
            Assert.StartsWith($"{queues.DeadLetterName}: 1 dead letter(s)", deadLetters.Output, StringComparison.Ordinal);
            Assert.Contains("Moved 1 message(s)", redrive.Output, StringComparison.Ordinal);
            Assert.Equal(logins[0].Ip, unmasked.Output.Trim());
            Assert.Contains("\"messages\":200", bench.Output, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(keys))
                Directory.Delete(keys, recursive: true);
        }
    }
}
