using System.Diagnostics.Metrics;
using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace LoginEtl.IntegrationTests;

/// <summary>The inbox keeps what it must for its window, with real PostgreSQL: expiry empties whole days, nothing else.</summary>
[Collection(IntegrationCollection.InProcess)]
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
    static async Task<IHost> StartPipelineAsync(TestDatabase database, params string[] settings)
    {
        var builder = LoginEtlHost.CreateBuilder([$"--ConnectionStrings:LoginDb={database.ConnectionString}", $"--Masking:Key={Etl.NewKey()}", .. settings]);
        builder.AddLoginEtlPipeline();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    static InboxWindow Window(IHost host, TimeSpan window, DateTimeOffset now) =>
        new(host.Services.GetRequiredService<NpgsqlDataSource>(), Options.Create(new InboxOptions { Window = window }), new NoHorizon(),
            new ShiftedTime(now), host.Services.GetRequiredService<LoginEtlTelemetry>(), NullLogger<InboxWindow>.Instance);

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
    public async Task A_rotation_that_comes_late_keeps_what_the_writer_already_stored_for_the_day_under_way()
    {
        await using var database = await TestDatabase.CreateAsync();
        using var host = await StartPipelineAsync(database);
        var now = DateTimeOffset.UtcNow;
        var slot = InboxLayout.SlotOf(now);
        // The slot of today still records the day 32 days ago (rotations failed for days), whose entry it still holds;
        // the writer, routing by day alone, has filled it with today's messages beside it.
        await database.ExecuteAsync($"UPDATE {InboxLayout.SlotsTable} SET bucket = {InboxLayout.BucketOf(now) - InboxLayout.Slots} WHERE slot = {slot}");
        var old = Guid.NewGuid().ToString();
        Assert.Equal(WriteOutcome.Stored, await WriteAsync(host, old, now.AddDays(-InboxLayout.Slots)));
        var todays = Enumerable.Range(0, 100).Select(_ => Guid.NewGuid().ToString()).ToList();
        Assert.All(await Task.WhenAll(todays.Select(id => WriteAsync(host, id, now))), outcome => Assert.Equal(WriteOutcome.Stored, outcome));
        Assert.Equal(101, await CountAsync(database, slot));

        await Window(host, TimeSpan.FromDays(2), now).RotateAsync(CancellationToken.None);

        // The expired day's entry is gone; today's are still there, so their redeliveries store nothing twice.
        Assert.Equal(100, await CountAsync(database, slot));
        Assert.All(await Task.WhenAll(todays.Select(id => WriteAsync(host, id, now))), outcome => Assert.Equal(WriteOutcome.AlreadyStored, outcome));
        Assert.Equal(InboxLayout.BucketOf(now), await database.ScalarAsync<long>($"SELECT bucket FROM {InboxLayout.SlotsTable} WHERE slot = {slot}"));
        Assert.Equal(101, (await database.LoginsAsync()).Count);
    }

    [Fact]
    public async Task Two_replicas_committing_the_same_messages_in_opposite_orders_do_not_deadlock()
    {
        await using var database = await TestDatabase.CreateAsync();
        // Each writer gathers a whole round into one transaction.
        string[] oneCommit = ["--Writer:MinBatchSize=400", "--Writer:MaxBatchSize=400", "--Writer:BatchWait=00:00:01"];
        using var first = await StartPipelineAsync(database, oneCommit);
        using var second = await StartPipelineAsync(database, oneCommit);
        var now = DateTimeOffset.UtcNow;
        for (var round = 0; round < 5; round++)
        {
            var ids = Enumerable.Range(0, 400).Select(_ => Guid.NewGuid().ToString()).ToList();
            var forwards = ids.Select(id => WriteAsync(first, id, now)).ToList();
            var backwards = Enumerable.Reverse(ids).Select(id => WriteAsync(second, id, now)).ToList();

            var outcomes = await Task.WhenAll(forwards.Concat(backwards));

            Assert.Equal(400, outcomes.Count(o => o == WriteOutcome.Stored));
            Assert.Equal(400, outcomes.Count(o => o == WriteOutcome.AlreadyStored));
        }

        Assert.Equal(2_000, (await database.LoginsAsync()).Count);
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
