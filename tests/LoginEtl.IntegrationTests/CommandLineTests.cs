using LoginEtl.IntegrationTests.Infrastructure;
using Npgsql;

namespace LoginEtl.IntegrationTests;

[Collection(IntegrationCollection.Name)]
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

    [Theory]
    [InlineData("--Sqs:Pollers=0", "Sqs__Pollers must be from 1 to 256")]
    [InlineData("--Telemetry:MassTransitMetrics=sometimes", "login-etl: Telemetry__MassTransitMetrics must be true or false")]
    [InlineData("--Health:LivenessStallTimeout=00:06:00", "Health__LivenessStallTimeout (00:06:00) must be at least twice Health__StallTimeout (00:05:00)")]
    public async Task A_bad_setting_stops_run_with_a_message_naming_it(string setting, string message)
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();

        var result = await Cli.RunAsync(["run", .. Etl.Settings(database, queues, Etl.NewKey()), setting]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_command_prints_usage_and_exits_2()
    {
        var result = await Cli.RunAsync(["frobnicate"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage: login-etl", result.Error, StringComparison.Ordinal);
    }
}
