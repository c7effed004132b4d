using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LoginEtl.IntegrationTests;

/// <summary>The inbox keeps what it must for its window, with real PostgreSQL: expiry empties whole days, nothing else.</summary>
[Collection(IntegrationCollection.Name)]
public class InboxWindowTests
{
    static readonly UserLogin Row = new()
    {
        UserId = "u", DeviceType = "ios", MaskedIp = "k:ip", MaskedDeviceId = "k:device", AppVersion = 1_000_000,
        CreateDate = new DateOnly(2026, 11, 29),
    };

    sealed class ShiftedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    sealed class NoHorizon : IRedeliveryHorizon
    {
        public TimeSpan RedeliveryHorizon => throw new InvalidOperationException("the tests set Inbox__Window");
    }

    /// <summary>The group-commit writer and the inbox's data source of a pipeline host on the test database, started.</summary>
    static async Task<IHost> StartPipelineAsync(TestDatabase database)
    {
        var builder = LoginEtlHost.CreateBuilder([$"--ConnectionStrings:LoginDb={database.ConnectionString}", $"--Masking:Key={Etl.NewKey()}"]);
        builder.AddLoginEtlPipeline();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    static InboxWindow Window(IHost host, TimeSpan window, DateTimeOffset now) =>
        new(host.Services.GetRequiredService<NpgsqlDataSource>(), Options.Create(new InboxOptions { Window = window }), new NoHorizon(),
            new ShiftedTime(now), NullLogger<InboxWindow>.Instance);

    static Task<WriteOutcome> WriteAsync(IHost host, string messageId, DateTimeOffset firstSentAt) =>
        host.Services.GetRequiredService<LoginWriter>().WriteAsync(new InboxKey(messageId, firstSentAt), Row, []);

    static Task<long> CountAsync(TestDatabase database, short slot) =>
        database.ScalarAsync<long>($"SELECT count(*) FROM {InboxLayout.PartitionOf(slot)}");

    [Fact]
    public async Task The_migration_moves_the_first_inbox_into_the_window_and_its_entries_count_until_they_leave_it()
    {
        await using var database = await TestDatabase.CreateAsync(migrate: false);
        await using (var db = database.CreateContext())
            await db.GetService<IMigrator>().MigrateAsync("20261125040000_Outbox");
        var uuids = Enumerable.Range(0, 500).Select(_ => Guid.NewGuid().ToString()).ToList();
        await database.ExecuteAsync($"""
            INSERT INTO loginetl_inbox (message_id, stored_at)
            SELECT id, now() - interval '1 day' FROM unnest(ARRAY['{string.Join("','", uuids)}', 'not-a-uuid']) id
            """);

        var migrate = await Cli.RunAsync(["migrate", $"--ConnectionStrings:LoginDb={database.ConnectionString}"]);

        Assert.True(migrate.ExitCode == 0, migrate.Error);
        Assert.Contains("Applied 1 migration(s): 20261130000000_InboxWindow", migrate.Output, StringComparison.Ordinal);
        Assert.Equal(501, await CountAsync(database, InboxLayout.LegacySlot));
        Assert.Equal("not-a-uuid", await database.ScalarAsync<string>("SELECT message_id FROM loginetl_inbox WHERE message_id IS NOT NULL"));
        var now = DateTimeOffset.UtcNow;
        using var host = await StartPipelineAsync(database);
        // A redelivery of a message stored before the migration comes with its own send time, which the first inbox never
        // recorded: it is found by its id alone.
        Assert.Equal(WriteOutcome.AlreadyStored, await WriteAsync(host, uuids[0], now.AddDays(-1)));
        Assert.Equal(WriteOutcome.AlreadyStored, await WriteAsync(host, uuids[1].ToUpperInvariant(), now));
        Assert.Equal(WriteOutcome.AlreadyStored, await WriteAsync(host, "not-a-uuid", now.AddHours(-3)));
        Assert.Equal(WriteOutcome.Stored, await WriteAsync(host, Guid.NewGuid().ToString(), now));

        // Once the newest of them is older than the window, the partition is emptied whole.
        await Window(host, TimeSpan.FromDays(2), now).RotateAsync(CancellationToken.None);
        Assert.Equal(501, await CountAsync(database, InboxLayout.LegacySlot));
        await Window(host, TimeSpan.FromDays(2), now.AddDays(2)).RotateAsync(CancellationToken.None);
        Assert.Equal(0, await CountAsync(database, InboxLayout.LegacySlot));
        Assert.Equal(WriteOutcome.Stored, await WriteAsync(host, uuids[0], now.AddDays(-1)));
    }

    [Fact]
    public async Task A_day_that_leaves_the_window_is_emptied_whole_by_one_replica_and_the_days_inside_it_are_kept()
    {
        await using var database = await TestDatabase.CreateAsync();
        using var host = await StartPipelineAsync(database);
        var window = TimeSpan.FromDays(2);
        var today = DateTimeOffset.UnixEpoch + InboxLayout.Bucket * InboxLayout.BucketOf(DateTimeOffset.UtcNow);
        var noon = today.AddHours(12);
        await Window(host, window, noon).RotateAsync(CancellationToken.None);
        var yesterdays = Enumerable.Range(0, 300).Select(_ => Guid.NewGuid().ToString()).ToList();
        var todays = Enumerable.Range(0, 200).Select(_ => Guid.NewGuid().ToString()).ToList();
        await Task.WhenAll(yesterdays.Select(id => WriteAsync(host, id, noon.AddDays(-1))).Concat(todays.Select(id => WriteAsync(host, id, noon))));
        Assert.Equal(300, await CountAsync(database, InboxLayout.SlotOf(noon.AddDays(-1))));
        Assert.Equal(200, await CountAsync(database, InboxLayout.SlotOf(noon)));

        // Yesterday's last entry is now just older than the window, today's first is not: two replicas rotate at once.
        var later = today + window + TimeSpan.FromMinutes(1);
        await Task.WhenAll(Window(host, window, later).RotateAsync(CancellationToken.None), Window(host, window, later).RotateAsync(CancellationToken.None));

        Assert.Equal(0, await CountAsync(database, InboxLayout.SlotOf(noon.AddDays(-1))));
        Assert.Equal(200, await CountAsync(database, InboxLayout.SlotOf(noon)));
        Assert.Equal(WriteOutcome.AlreadyStored, await WriteAsync(host, todays[0], noon));
        Assert.Equal(WriteOutcome.Stored, await WriteAsync(host, yesterdays[0], noon.AddDays(-1)));
        // Every day from the oldest live one to two days ahead has its slot, and no slot holds an expired day.
        var slots = await database.ScalarAsync<long[]>($"SELECT array_agg(bucket ORDER BY bucket) FROM {InboxLayout.SlotsTable} WHERE bucket IS NOT NULL");
        var first = InboxLayout.BucketOf(later - window);
        Assert.Equal(Enumerable.Range(0, (int)(InboxLayout.BucketOf(later) + 2 - first + 1)).Select(i => first + i), slots);
    }

    [Fact]
    public async Task A_message_id_that_is_not_a_uuid_is_kept_as_text_and_stored_once()
    {
        await using var database = await TestDatabase.CreateAsync();
        using var host = await StartPipelineAsync(database);
        var sentAt = DateTimeOffset.UtcNow;

        Assert.Equal(WriteOutcome.Stored, await WriteAsync(host, "urn:producer:42", sentAt));
        Assert.Equal(WriteOutcome.AlreadyStored, await WriteAsync(host, "urn:producer:42", sentAt));

        Assert.Equal("urn:producer:42", await database.ScalarAsync<string>("SELECT message_id FROM loginetl_inbox"));
        Assert.Single(await database.LoginsAsync());
    }

    [Fact]
    public async Task The_window_defaults_to_the_queues_retention_and_a_low_max_receive_count_is_warned_about_at_start()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync(maxReceiveCount: 2, retentionSeconds: 3_600);
        await queues.SendAsync(SampleLogins.Generate(3).Select(SampleLogins.ToJson));
        var settings = Etl.Settings(database, queues, Etl.NewKey());

        var byDefault = await Cli.RunAsync(["run", "--drain", .. settings]);
        var set = await Cli.RunAsync(["run", "--drain", .. settings, "--Inbox:Window=1.00:00:00"]);

        Assert.True(byDefault.ExitCode == 0, byDefault.Error);
        Assert.Contains("Inbox window: 02:00:00;", byDefault.Output, StringComparison.Ordinal);
        Assert.Contains("Inbox window: 1.00:00:00;", set.Output, StringComparison.Ordinal);
        var warning = Assert.Single(byDefault.Output.Split('\n'), l => l.Contains("[1013]", StringComparison.Ordinal));
        Assert.Contains($"Queue {queues.Name} moves a message to its dead-letter queue after 2 receives", warning, StringComparison.Ordinal);
        Assert.Equal(3, (await database.LoginsAsync()).Count);
    }

    [Fact]
    public async Task A_window_longer_than_the_layout_holds_stops_run_with_a_message_naming_the_setting()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();

        var result = await Cli.RunAsync(["run", .. Etl.Settings(database, queues, Etl.NewKey()), "--Inbox:Window=30.00:00:00"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Inbox__Window must be from 1 hour to 29 days", Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }
}
