using LoginEtl.Worker;
using LoginEtl.Worker.Commands;

const string Usage = """
    usage: login-etl <command> [--Section:Key=value ...]

    commands:
      migrate          create user_logins (when missing) and the service's own tables
      run              consume the queue until stopped (SIGTERM, Ctrl+C)
      run --drain      consume until the queue holds no visible, in-flight or delayed message, then exit 0
      produce FILE     send one message per line of FILE (- for standard input) to the queue
      bench [--messages N] [--invalid-percent P] [--inbox-prefill N] [--json]
                       measure SQS ceiling, ETL, pipeline and latency side by side (queues and schema of its own)
      dead-letters     summarise the dead-letter queue without consuming it: counts by error kind and by age
      redrive [--kind KIND] [--max N]
                       move dead-lettered messages back to the queue (all, those of one error kind, or at most N)
      keygen           print a new masking key (base64, 32 random bytes)
      keygen --recovery --out DIR
                       write a recovery key pair: DIR/recovery-public.pem, DIR/recovery-private.pem
      unmask VALUE     print the original of an encrypt-mode mask, using the configured keys
      unmask --private-key FILE VALUE
                       print the original of a mask from its recovery record

    Settings come from appsettings.json, the environment (Section__Key) and --Section:Key=value.
    """;

try
{
    return args switch
    {
        ["migrate", .. var rest] => await MigrateCommand.RunAsync(rest),
        ["run", "--drain", .. var rest] => await RunCommand.RunAsync(drain: true, rest),
        ["run", .. var rest] => await RunCommand.RunAsync(drain: false, rest),
        ["produce", var path, .. var rest] when !path.StartsWith("--", StringComparison.Ordinal) => await ProduceCommand.RunAsync(path, rest),
        ["bench", .. var rest] => await BenchCommand.RunAsync(rest),
        ["redrive", .. var rest] => await RedriveCommand.RunAsync(rest),
        ["dead-letters", .. var rest] => await DeadLettersCommand.RunAsync(rest),
        ["keygen"] => KeygenCommand.PrintMaskingKey(),
        ["keygen", "--recovery", "--out", var directory] => KeygenCommand.WriteRecoveryKeyPair(directory),
        ["unmask", "--private-key", var keyFile, var mask, .. var rest] => await UnmaskCommand.WithPrivateKeyAsync(keyFile, mask, rest),
        ["unmask", var mask, .. var rest] when !mask.StartsWith("--", StringComparison.Ordinal) => UnmaskCommand.WithKeys(mask, rest),
        ["help" or "--help" or "-h"] => PrintUsage(Console.Out, 0),
        _ => PrintUsage(Console.Error, 2),
    };
}
catch (Exception ex) when (ex is StartupException or LoginEtl.Worker.Masking.UnmaskException)
{
    Console.Error.WriteLine($"login-etl: {ex.Message}");
    return 1;
}

static int PrintUsage(TextWriter writer, int exitCode)
{
    writer.WriteLine(Usage);
    return exitCode;
}
