using System.Globalization;
using System.Text.Json;
using LoginEtl.Worker.Bench;

namespace LoginEtl.Worker.Commands;

/// <summary>
/// <c>login-etl bench [--messages N] [--invalid-percent P] [--inbox-prefill N] [--json]</c>: the throughput and latency benchmark,
/// against the configured PostgreSQL and SQS (on queues and a schema of its own).
/// </summary>
static class BenchCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var messages = 200_000;
        var invalidPercent = 3.0;
        var json = false;
        var inboxPrefill = 0L;
        var configurationArgs = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--messages" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out messages) && messages > 0:
                case "--invalid-percent" when i + 1 < args.Length && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out invalidPercent) && invalidPercent is >= 0 and <= 100:
                case "--inbox-prefill" when i + 1 < args.Length && long.TryParse(args[i + 1], CultureInfo.InvariantCulture, out inboxPrefill) && inboxPrefill >= 0:
                    i++;
                    break;
                case "--json":
                    json = true;
                    break;
                case var setting when setting.StartsWith("--", StringComparison.Ordinal) && setting.Contains('=', StringComparison.Ordinal):
                    configurationArgs.Add(setting);
                    break;
                default:
                    throw new StartupException($"bench: unexpected argument '{args[i]}' (--messages N, --invalid-percent P, --inbox-prefill N, --json)");
            }
        }

        var result = await new BenchRunner([.. configurationArgs], messages, invalidPercent, inboxPrefill, Console.Error).RunAsync();
        Console.WriteLine(json ? JsonSerializer.Serialize(result) : result.ToTable());
        return 0;
    }
}
