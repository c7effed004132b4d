using System.CommandLine;
using System.Text.Json;
using LoginEtl.Worker.Commands;

namespace LoginEtl.Bench;

/// <summary>
/// <c>login-etl-bench [--messages N] [--invalid-percent P] [--inbox-prefill N] [--fifo-groups N...] [--json]</c>: the throughput and latency benchmark,
/// against the configured PostgreSQL and SQS (on queues and a schema of its own).
/// </summary>
sealed class BenchCommand : RootCommand
{
    readonly Option<int> _messages = new("--messages")
    {
        Description = "Messages in each measured phase.",
        HelpName = "N",
        DefaultValueFactory = _ => 200_000,
        CustomParser = result => NumberArgument.Parse(result, "--messages", 1, int.MaxValue, "a whole number of at least 1"),
    };

    readonly Option<double> _invalidPercent = new("--invalid-percent")
    {
        Description = "Share of invalid messages in the traffic, in percent.",
        HelpName = "P",
        DefaultValueFactory = _ => 3.0,
        CustomParser = result => NumberArgument.Parse(result, "--invalid-percent", 0.0, 100.0, "a number from 0 to 100"),
    };

    readonly Option<long> _inboxPrefill = new("--inbox-prefill")
    {
        Description = "Also measure the etl with N entries already in the inbox.",
        HelpName = "N",
        CustomParser = result => NumberArgument.Parse(result, "--inbox-prefill", 0L, long.MaxValue, "a whole number of at least 0"),
    };

    readonly Option<int> _sqsLatency = new("--sqs-latency-ms")
    {
        Description = "Add N milliseconds to every SQS call of every phase (a delaying proxy in front of Sqs__ServiceUrl), as between a replica and SQS.",
        HelpName = "N",
        CustomParser = result => NumberArgument.Parse(result, "--sqs-latency-ms", 0, 10_000, "a whole number from 0 to 10000"),
    };

    readonly Option<int> _idleSeconds = new("--idle-seconds")
    {
        Description = "How long the idle phase counts one replica's receives on an empty queue.",
        HelpName = "S",
        DefaultValueFactory = _ => 60,
        CustomParser = result => NumberArgument.Parse(result, "--idle-seconds", 1, 3_600, "a whole number from 1 to 3600"),
    };

    readonly Option<int[]> _fifoGroups = new("--fifo-groups")
    {
        Description = "Also measure the etl on a FIFO queue with N message groups; several numbers measure each (--fifo-groups 1 10 100).",
        HelpName = "N",
        AllowMultipleArgumentsPerToken = true,
    };

    readonly Option<bool> _pipelineOnly = new("--pipeline-only")
    {
        Description = "Measure the pipeline phase alone (no SQS): its rate and CPU per message, in seconds rather than minutes.",
    };

    readonly Option<bool> _json = new("--json") { Description = "Print one JSON line instead of a table." };

    public BenchCommand(string[] settings)
        : base("""
            Measures the SQS ceiling, the etl (the built login-etl, run draining in a process of its own), the pipeline and
            latency side by side, on queues and a schema of its own. Settings as login-etl's: --Section:Key=value anywhere.
            """)
    {
        Options.Add(_messages);
        Options.Add(_invalidPercent);
        Options.Add(_inboxPrefill);
        Options.Add(_sqsLatency);
        Options.Add(_idleSeconds);
        Subcommands.Add(CeilingPhase.Command());
        Options.Add(_fifoGroups);
        Options.Add(_pipelineOnly);
        Options.Add(_json);
        _fifoGroups.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int[]>() is { } groups && groups.Any(n => n is < 1 or > 10_000))
                result.AddError("--fifo-groups takes whole numbers from 1 to 10000.");
        });
        SetAction(async parsed =>
        {
            var bench = new BenchSettings(parsed.GetValue(_messages), parsed.GetValue(_invalidPercent), parsed.GetValue(_inboxPrefill),
                TimeSpan.FromMilliseconds(parsed.GetValue(_sqsLatency)), TimeSpan.FromSeconds(parsed.GetValue(_idleSeconds)),
                parsed.GetValue(_fifoGroups) ?? []);
            var runner = new BenchRunner(settings, bench, Console.Error);
            if (parsed.GetValue(_pipelineOnly))
            {
                var pipeline = await runner.RunPipelineAsync();
                Console.WriteLine(parsed.GetValue(_json) ? JsonSerializer.Serialize(pipeline) : pipeline.ToTable());
                return 0;
            }

            var result = await runner.RunAsync();
            Console.WriteLine(parsed.GetValue(_json) ? JsonSerializer.Serialize(result) : result.ToTable());
            return 0;
        });
    }
}
