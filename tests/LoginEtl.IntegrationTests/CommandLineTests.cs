using System.Reflection;
using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Worker.Commands;
using LoginEtl.Worker.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;

namespace LoginEtl.IntegrationTests;

[Collection(IntegrationCollection.Processes)]
public class CommandLineTests
{
    [Fact]
    public async Task Produce_sends_one_message_per_line_and_run_drain_stores_them()
    {
        await using var database = await TestDatabase.CreateAsync(migrate: false);
        await using var queues = await TestQueues.CreateAsync();
        var key = Etl.NewKey();
        var lines = SampleLogins.Generate(25).Select(SampleLogins.ToJson).ToList();
        lines.Insert(10, "");
        lines.Add("""{"foo": "oops_wrong_msg_type", "bar": "123"}""");
        var settings = Etl.Settings(database, queues, key);

        var migrate = await Cli.RunAsync(["migrate", .. settings]);
        var produce = await Cli.RunAsync(["produce", "-", .. settings], standardInput: string.Join('\n', lines) + "\n");
        var depthAfterProduce = await queues.DepthAsync(queues.Url);
        var run = await Cli.RunAsync(["run", "--drain", .. settings]);

        Assert.True(migrate.ExitCode == 0, migrate.Error);
        Assert.True(produce.ExitCode == 0, produce.Error);
        Assert.Contains("Sent 26 message(s)", produce.Output, StringComparison.Ordinal);
        Assert.Contains("skipped 1 empty line(s)", produce.Output, StringComparison.Ordinal);
        Assert.Equal(26, depthAfterProduce);
        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        Assert.Equal(25, (await database.LoginsAsync()).Count);
        Assert.Single(await queues.DrainDeadLettersAsync());
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
    }

    [Fact]
    public async Task Migrate_keeps_an_existing_user_logins_table_and_can_run_twice()
    {
        await using var database = await TestDatabase.CreateAsync(migrate: false);
        await database.ExecuteAsync("""
            CREATE TABLE user_logins(
                user_id varchar(128), device_type varchar(32), masked_ip varchar(256),
                masked_device_id varchar(256), locale varchar(32), app_version integer, create_date date);
            INSERT INTO user_logins VALUES ('existing', 'ios', 'x', 'y', NULL, 1, '2020-01-01');
            """);
        string[] settings = [$"--ConnectionStrings:LoginDb={database.ConnectionString}"];

        var first = await Cli.RunAsync(["migrate", .. settings]);
        var second = await Cli.RunAsync(["migrate", .. settings]);

        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Contains("Applied 4 migration(s): 20261125000000_Initial, 20261125030000_MaskRecovery, 20261125040000_Outbox, 20261130000000_InboxWindow",
            first.Output, StringComparison.Ordinal);
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Contains("up to date", second.Output, StringComparison.Ordinal);
        Assert.Equal("existing", Assert.Single(await database.LoginsAsync()).UserId);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM loginetl_inbox"));
    }

    [Fact]
    public async Task A_missing_queue_stops_run_with_one_line_naming_the_setting()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();

        var result = await Cli.RunAsync(["run", .. Etl.Settings(database, queues, Etl.NewKey()), "--Sqs:QueueName=no-such-queue"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("login-etl: SQS queue 'no-such-queue' does not exist (Sqs__QueueName)", result.Error.Trim());
    }

    [Fact]
    public async Task No_aws_credentials_stop_run_with_a_message_naming_the_variables()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var home = Directory.CreateTempSubdirectory("loginetl-home-");
        try
        {
            var result = await Cli.RunAsync(["run", .. Etl.Settings(database, queues, Etl.NewKey())], environment: new Dictionary<string, string?>
            {
                ["AWS_ACCESS_KEY_ID"] = null,
                ["AWS_SECRET_ACCESS_KEY"] = null,
                ["AWS_SESSION_TOKEN"] = null,
                ["AWS_PROFILE"] = null,
                ["AWS_WEB_IDENTITY_TOKEN_FILE"] = null,
                ["HOME"] = home.FullName,
            });

            Assert.Equal(1, result.ExitCode);
            Assert.StartsWith("login-etl: no AWS credentials for SQS (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,", result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task An_unreachable_database_stops_run_with_one_line_naming_the_setting()
    {
        await using var queues = await TestQueues.CreateAsync();
        var closedPort = new NpgsqlConnectionStringBuilder(TestServices.PostgresAdmin) { Port = 1, Timeout = 3 }.ConnectionString;

        var result = await Cli.RunAsync(["run", $"--ConnectionStrings:LoginDb={closedPort}", $"--Sqs:QueueName={queues.Name}",
            $"--Sqs:DeadLetterQueueName={queues.DeadLetterName}", $"--Masking:Key={Etl.NewKey()}"]);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("login-etl: cannot reach PostgreSQL (ConnectionStrings__LoginDb)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unmigrated_database_stops_run_and_says_to_migrate()
    {
        await using var database = await TestDatabase.CreateAsync(migrate: false);
        await using var queues = await TestQueues.CreateAsync();

        var result = await Cli.RunAsync(["run", .. Etl.Settings(database, queues, Etl.NewKey())]);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("login-etl: the database is not migrated: run `login-etl migrate` first", result.Error.Trim());
    }

    [Fact]
    public async Task A_database_without_the_latest_migration_stops_run_until_it_is_migrated()
    {
        await using var database = await TestDatabase.CreateAsync(migrate: false);
        await using (var db = database.CreateContext())
            await db.GetService<IMigrator>().MigrateAsync(MigrationHistory.Ids[^2]);
        await using var queues = await TestQueues.CreateAsync();
        var settings = Etl.Settings(database, queues, Etl.NewKey());

        var behind = await Cli.RunAsync(["run", "--drain", .. settings]);
        var migrate = await Cli.RunAsync(["migrate", .. settings]);
        var migrated = await Cli.RunAsync(["run", "--drain", .. settings]);

        Assert.Equal(1, behind.ExitCode);
        Assert.Equal("login-etl: the database is not migrated: run `login-etl migrate` first", behind.Error.Trim());
        Assert.Contains($"Applied 1 migration(s): {MigrationHistory.Ids[^1]}", migrate.Output, StringComparison.Ordinal);
        Assert.True(migrated.ExitCode == 0, migrated.Error + migrated.Output);
    }

    // While a new version rolls out, its pods migrate first: a replica of the previous version that restarts then
    // finds a migration it does not know, and runs on, as EF Core's own check let it.
    [Fact]
    public async Task A_migration_newer_than_the_build_does_not_stop_run()
    {
        await using var database = await TestDatabase.CreateAsync();
        await database.ExecuteAsync($"""INSERT INTO "{MigrationHistory.Table}" VALUES ('29991231000000_Future', '10.0.0')""");
        await using var queues = await TestQueues.CreateAsync();

        var run = await Cli.RunAsync(["run", "--drain", .. Etl.Settings(database, queues, Etl.NewKey())]);

        Assert.True(run.ExitCode == 0, run.Error + run.Output);
    }

    // EF Core's assemblies and model were a fifth of an idle replica's resident memory, for one query at start; the
    // check reads the history table with Npgsql instead.
    [Fact]
    public async Task Run_checks_the_schema_and_takes_messages_without_loading_EF_Core()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();

        using var etl = EtlProcess.Start(["run", .. Etl.Settings(database, queues, Etl.NewKey())]);
        await Eventually.HoldsAsync(() => Task.FromResult(etl.IsReceiving || etl.HasExited), "the replica has started");
        var assemblies = etl.MappedAssemblies();
        etl.Terminate();
        await etl.WaitForExitAsync(Etl.DrainTimeout);

        Assert.True(etl.ExitCode == 0 && etl.IsReceiving, etl.Output);
        Assert.Contains("Npgsql.dll", assemblies);
        Assert.DoesNotContain(assemblies, a => a.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, "Masking__Key is not set: give a base64 key of at least 32 random bytes (login-etl keygen prints one)")]
    [InlineData("not base64!", "Masking__Key is not valid base64")]
    [InlineData("c2hvcnQ=", "Masking__Key decodes to 5 bytes; at least 32 are required")]
    public async Task A_bad_masking_key_stops_run_with_a_message_naming_it(string? key, string message)
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        string[] settings =
        [
            $"--ConnectionStrings:LoginDb={database.ConnectionString}", $"--Sqs:QueueName={queues.Name}",
            $"--Sqs:DeadLetterQueueName={queues.DeadLetterName}",
        ];

        var result = await Cli.RunAsync(["run", .. settings], environment: new Dictionary<string, string?> { ["Masking__Key"] = key });

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"login-etl: {message}", result.Error.Trim());
    }

    // Each command, an argument line that would make it do something, and the options its help must name.
    static readonly (string[] Line, string[] Names)[] Commands =
    [
        (["migrate"], ["--wait <SECONDS>"]),
        (["run"], ["--drain"]),
        (["run", "--drain"], ["--drain"]),
        (["produce", "-"], ["<FILE>", "--group-id <FIELD|GROUP>", "--envelope <sns|eventbridge>"]),
        (["dead-letters"], []),
        (["redrive", "--max", "5"], ["--kind <KIND>", "--max <N>"]),
        (["keygen"], ["--recovery", "--out <DIR>"]),
        (["keygen", "--recovery", "--out", "KEYS"], ["--recovery", "--out <DIR>"]),
        (["unmask", "enc:k1:AAAA"], ["<VALUE>", "--private-key <FILE>"]),
        (["unmask", "--private-key", "KEYS/recovery-private.pem", "k1:AAAA"], ["<VALUE>", "--private-key <FILE>"]),
    ];

    [Fact]
    public async Task Every_command_prints_its_help_and_exits_0_without_doing_anything()
    {
        await using var database = await TestDatabase.CreateAsync(migrate: false);
        await using var queues = await TestQueues.CreateAsync();
        await queues.SendAsync(SampleLogins.Generate(3).Select(SampleLogins.ToJson));
        await queues.Sqs.SendMessageAsync(queues.DeadLetterUrl, "{}");
        var keys = Path.Combine(Path.GetTempPath(), $"loginetl-help-{Guid.NewGuid():N}");
        var settings = Etl.Settings(database, queues, Etl.NewKey());
        var benchQueues = await BenchQueueCountAsync(queues);

        var root = await Cli.RunAsync(["--help"]);
        var results = new List<(string[] Line, string[] Names, Cli.Result Result)>();
        foreach (var (line, names) in Commands)
        {
            var arguments = line.Select(a => a.Replace("KEYS", keys, StringComparison.Ordinal)).ToArray();
            results.Add((line, names, await Cli.RunAsync([.. arguments, "--help", .. settings], standardInput: SampleLogins.ToJson(SampleLogins.Generate(1)[0]) + "\n")));
        }

        Assert.True(root.ExitCode == 0, root.Error);
        var listed = root.Output[root.Output.IndexOf("Commands:", StringComparison.Ordinal)..].Split('\n').Skip(1)
            .Where(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim().Split(' ')[0]);
        Assert.Equal(Commands.Select(c => c.Line[0]).Distinct().Order(), listed.Order());
        foreach (var (line, names, result) in results)
        {
            Assert.True(result.ExitCode == 0, $"{string.Join(' ', line)} --help exited {result.ExitCode}: {result.Error}");
            Assert.Equal("", result.Error);
            Assert.Contains($"Usage:\n  login-etl {line[0]} ", result.Output, StringComparison.Ordinal);
            foreach (var name in names)
                Assert.Contains(name, result.Output, StringComparison.Ordinal);
        }

        // Nothing was done: no migration, no message received, sent, moved or read, no key written, no bench queue.
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'loginetl_bench_%'"));
        Assert.Equal(3, await queues.DepthAsync(queues.Url));
        var deadLetter = Assert.Single(await queues.DrainDeadLettersAsync());
        Assert.Equal("1", deadLetter.Attributes["ApproximateReceiveCount"]);
        Assert.False(Directory.Exists(keys));
        Assert.Equal(benchQueues, await BenchQueueCountAsync(queues));
        Assert.DoesNotMatch("^[A-Za-z0-9+/]{43}=$", results.Single(r => r.Line is ["keygen"]).Result.Output.Split('\n')[0]);
    }

    static async Task<int> BenchQueueCountAsync(TestQueues queues) =>
        (await queues.Sqs.ListQueuesAsync("loginetl-bench-")).QueueUrls?.Count ?? 0;

    [Fact]
    public async Task Version_prints_the_build_s_version_and_exits_0()
    {
        var version = typeof(RunCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        var result = await Cli.RunAsync(["--version"]);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(version, result.Output.Trim());
    }

    [Fact]
    public async Task Settings_and_options_go_in_any_order_and_run_drains_with_the_switch_last()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var settings = Etl.Settings(database, queues, Etl.NewKey());
        var keys = Directory.CreateTempSubdirectory("loginetl-keys-");
        try
        {
            var produce = await Cli.RunAsync(["produce", .. settings, "-"],
                standardInput: string.Join('\n', SampleLogins.Generate(30).Select(SampleLogins.ToJson)) + "\n");
            var keygen = await Cli.RunAsync(["keygen", "--out", keys.FullName, "--recovery"]);
            // .NET's command-line configuration alone dropped a switch without a value at the end of the line.
            var run = await Cli.RunAsync(["run", .. settings, "--Sqs:Pollers=4", "--drain"]);

            Assert.True(produce.ExitCode == 0, produce.Error);
            Assert.True(keygen.ExitCode == 0, keygen.Error);
            Assert.True(File.Exists(Path.Combine(keys.FullName, "recovery-private.pem")));
            Assert.True(run.ExitCode == 0, run.Error + run.Output);
            Assert.Contains("with 4 pollers", run.Output + run.Error, StringComparison.Ordinal);
            Assert.Equal(30, (await database.LoginsAsync()).Count);
            Assert.Equal(0, await queues.DepthAsync(queues.Url));
        }
        finally
        {
            keys.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("run --drian", "'--drian'")]
    [InlineData("run --Sqs:Pollers 4", "'--Sqs:Pollers'")]
    [InlineData("frobnicate", "'frobnicate'")]
    [InlineData("produce", "missing")]
    [InlineData("produce - extra", "'extra'")]
    [InlineData("redrive --max 0", "--max must be a whole number of at least 1")]
    [InlineData("keygen --recovery", "--recovery needs --out")]
    public async Task A_usage_error_is_one_line_and_exit_2_and_does_nothing(string line, string named)
    {
        await using var database = await TestDatabase.CreateAsync(migrate: false);
        await using var queues = await TestQueues.CreateAsync();
        await queues.SendAsync(SampleLogins.Generate(3).Select(SampleLogins.ToJson));

        var result = await Cli.RunAsync([.. line.Split(' '), .. Etl.Settings(database, queues, Etl.NewKey())], standardInput: "{}\n");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Output);
        var error = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("login-etl: ", error, StringComparison.Ordinal);
        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.Equal(3, await queues.DepthAsync(queues.Url));
    }

    [Fact]
    public async Task An_SQS_failure_in_the_middle_of_produce_is_one_line_and_exit_1()
    {
        await using var queues = await TestQueues.CreateAsync();
        var lines = string.Join('\n', SampleLogins.Generate(200).Select(SampleLogins.ToJson)) + "\n";

        Cli.Result result;
        await using (var proxy = new SqsFaultProxy(passFirst: 2, "SendMessageBatch"))
        {
            result = await Cli.RunAsync(["produce", "-", $"--Sqs:QueueName={queues.Name}", $"--Sqs:ServiceUrl={proxy.Url}"], standardInput: lines);
            Assert.True(proxy.Failed > 0);
        }

        Assert.Equal(1, result.ExitCode);
        var failure = Assert.Single(result.Error.Split('\n'), l => l.StartsWith("login-etl:", StringComparison.Ordinal));
        Assert.StartsWith("login-etl: produce stopped after sending ", failure, StringComparison.Ordinal);
        Assert.EndsWith("SQS failed (refused by the test)", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        // The two batches SQS took before it failed are on the queue.
        Assert.Equal(20, await queues.DepthAsync(queues.Url));
    }

    // One bad setting of each options type, for run and for commands that read the same settings. The database is
    // not migrated: the settings are checked before anything else.
    [Theory]
    [InlineData("run", "--Sqs:Pollers=0", "Sqs__Pollers must be from 1 to 256")]
    [InlineData("run", "--Sqs:Pollers=many", "Sqs__Pollers must be a whole number")]
    [InlineData("run", "--Sqs:ServiceUrl=not a url", "Sqs__ServiceUrl is not a URL")]
    [InlineData("run", "--Retry:Limit=21", "Retry__Limit must be from 0 to 20")]
    [InlineData("run", "--Writer:BatchWait=00:00:02", "Writer__BatchWait must be from 0 to 1 second")]
    [InlineData("run", "--Health:LivenessStallTimeout=00:06:00", "Health__LivenessStallTimeout (00:06:00) must be at least twice Health__StallTimeout (00:05:00)")]
    [InlineData("run", "--Inbox:Window=00:10:00", "Inbox__Window must be from 1 hour to 29 days")]
    [InlineData("run", "--Outbox:QueueName=events.fifo", "Outbox__QueueName must be an SQS standard queue name: 1 to 80 letters, digits, '-' or '_'")]
    [InlineData("run", "--Telemetry:MassTransitMetrics=sometimes", "Telemetry__MassTransitMetrics must be true or false")]
    [InlineData("run", "--Masking:Mode=rot13", "Masking__Mode must be 'hash' or 'encrypt'")]
    [InlineData("run", "--Masking:Key=KKavrgPEtCtixeyQZC14ycDbMoVDXo2Idas+alOPEng=", "Masking__Key is the demo key published with the Docker stack, which anyone can read: outside the Development environment (DOTNET_ENVIRONMENT) use a key of your own, from `login-etl keygen`")]
    [InlineData("produce -", "--Sqs:MaxInFlight=15", "Sqs__MaxInFlight must be a multiple of 10")]
    [InlineData("redrive", "--Masking:KeyId=enc", "Masking__KeyId must be 1 to 32 letters, digits, '-' or '_', and not 'enc'")]
    [InlineData("migrate", "--Writer:MaxBatchSize=0", "Writer__MaxBatchSize must be from 1 to 10000")]
    public async Task A_bad_setting_stops_the_command_with_one_line_naming_it(string command, string setting, string message)
    {
        await using var database = await TestDatabase.CreateAsync(migrate: false);
        await using var queues = await TestQueues.CreateAsync();

        var result = await Cli.RunAsync([.. command.Split(' '), .. Etl.Settings(database, queues, Etl.NewKey()), setting], standardInput: "{}\n");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"login-etl: {message}", result.Error.Trim());
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
    }

    [Fact]
    public async Task Migrate_waits_for_a_database_whose_port_is_still_closed_and_gives_up_after_its_wait()
    {
        await using var database = await TestDatabase.CreateAsync(migrate: false);
        await using var proxy = new TcpProxy(new NpgsqlConnectionStringBuilder(database.ConnectionString).Port);
        proxy.Cut();
        var throughProxy = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port }.ConnectionString;

        var migrate = Cli.RunAsync(["migrate", $"--ConnectionStrings:LoginDb={throughProxy}"]);
        await Task.Delay(TimeSpan.FromSeconds(3));
        proxy.Restore();
        var waited = await migrate;
        proxy.Cut();
        var gaveUp = await Cli.RunAsync(["migrate", "--wait", "2", $"--ConnectionStrings:LoginDb={throughProxy}"]);

        Assert.True(waited.ExitCode == 0, waited.Error);
        Assert.Contains("login-etl migrate: the database does not accept connections yet", waited.Error, StringComparison.Ordinal);
        Assert.Contains("Applied 4 migration(s)", waited.Output, StringComparison.Ordinal);
        Assert.Equal(1, gaveUp.ExitCode);
        Assert.StartsWith("login-etl: cannot migrate the database (ConnectionStrings__LoginDb)", gaveUp.Error.Split('\n').Last(l => l.Length > 0), StringComparison.Ordinal);
    }
}
