using LoginEtl.Worker.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LoginEtl.Worker.Persistence;

/// <summary>
/// Keeps the inbox to its window. Every slot of <see cref="InboxLayout"/> records the day it holds. Once every entry
/// of that day is older than the window, the slot is emptied with one TRUNCATE, whatever it holds; and each day's slot
/// is given to it two days before its first message can arrive. Every replica does this at start, before it takes a
/// message, and every hour; a row lock on the slot's record makes the replicas agree. A slot that records no day
/// (new, or emptied) is given to one without being emptied again, so nothing written in between is lost. The writer
/// routes by day alone: when a rotation comes late (failing for days, or not running), the slot of a day already
/// under way may still record its expired day, and holds today's entries beside it; only the expired day's entries
/// are deleted from it then, never the whole slot. A failed rotation is counted
/// (<c>loginetl.inbox.rotation.failures</c>), and readiness fails once none has succeeded for <see cref="StaleAfter"/>.
/// </summary>
public sealed partial class InboxWindow(
    NpgsqlDataSource dataSource,
    IOptions<InboxOptions> options,
    IRedeliveryHorizon horizon,
    TimeProvider time,
    LoginEtlTelemetry telemetry,
    ILogger<InboxWindow> logger) : BackgroundService
{
    static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    const int DaysAhead = 2;

    /// <summary>How long rotations may fail before readiness says so: a day of the two prepared ahead.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromDays(1);

    long _lastRotatedTicks = time.GetUtcNow().UtcTicks;

    /// <summary>When a rotation last succeeded (the start of the process, before the first).</summary>
    public DateTimeOffset LastRotated => new(Interlocked.Read(ref _lastRotatedTicks), TimeSpan.Zero);

    /// <summary>No rotation has succeeded for longer than <see cref="StaleAfter"/>.</summary>
    public bool IsStale => time.GetUtcNow() - LastRotated > StaleAfter;

    /// <summary>The window in force: the setting, or the queues' redelivery horizon, at most <see cref="InboxLayout.MaxWindow"/>.</summary>
    public TimeSpan Window
    {
        get
        {
            var window = options.Value.Window ?? horizon.RedeliveryHorizon;
            return window > InboxLayout.MaxWindow ? InboxLayout.MaxWindow : window;
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RotateAsync(cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            throw new StartupException($"cannot prepare the inbox window (ConnectionStrings__LoginDb): {ex.Message}", ex);
        }

        LogWindow(logger, Window);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default))
        {
            try
            {
                await RotateAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Days are prepared two ahead: the next hour's attempt is in time.
                telemetry.RotationFailed();
                LogRotationFailed(logger, ex.GetType().Name, ex.Message);
            }
        }
    }

    /// <summary>Empties every slot whose day has left the window, and prepares the slots of the days in it and the next two.</summary>
    public async Task RotateAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var window = Window;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        foreach (var (slot, recorded) in await ReadSlotsAsync(connection, cancellationToken))
        {
            if (recorded is { } day && InboxLayout.IsExpired(day, window, now))
                await TakeOverAsync(connection, slot, bucket: null, window, now, cancellationToken);
        }

        var held = await ReadSlotsAsync(connection, cancellationToken);
        var last = InboxLayout.BucketOf(now) + DaysAhead;
        for (var bucket = InboxLayout.BucketOf(now - window); bucket <= last; bucket++)
        {
            if (held[InboxLayout.SlotOf(bucket)] != bucket)
                await TakeOverAsync(connection, InboxLayout.SlotOf(bucket), bucket, window, now, cancellationToken);
        }

        Interlocked.Exchange(ref _lastRotatedTicks, now.UtcTicks);
    }

    static async Task<Dictionary<short, long?>> ReadSlotsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var held = new Dictionary<short, long?>();
        await using var command = new NpgsqlCommand($"SELECT slot, bucket FROM {InboxLayout.SlotsTable}", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            held[reader.GetInt16(0)] = reader.IsDBNull(1) ? null : reader.GetInt64(1);
        return held;
    }

    // Gives the slot to `bucket` (null: to nobody), emptying it first when the day it holds has expired.
    async Task TakeOverAsync(NpgsqlConnection connection, short slot, long? bucket, TimeSpan window, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var timeout = new NpgsqlCommand("SET LOCAL lock_timeout = '10s'", connection, transaction))
            await timeout.ExecuteNonQueryAsync(cancellationToken);

        long? old;
        await using (var select = new NpgsqlCommand($"SELECT bucket FROM {InboxLayout.SlotsTable} WHERE slot = @slot FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter<short>("slot", slot));
            old = await select.ExecuteScalarAsync(cancellationToken) is long value ? value : null;
        }

        if (old == bucket || old > bucket)
            return; // Another replica was first; or the slot already serves a later day.
        if (old is { } held && !InboxLayout.IsExpired(held, window, now))
        {
            LogSlotStillLive(logger, slot, Day(held), bucket is { } next ? Day(next) : null);
            return;
        }

        if (old is { } expiredDay)
        {
            // The next day this slot serves may have begun (or begin before this commits, with a producer's clock a
            // little ahead): the writer may be filling it already, so only the expired day's entries go.
            var late = expiredDay + InboxLayout.Slots <= InboxLayout.BucketOf(now) + 1;
            await using var empty = late
                ? new NpgsqlCommand($"DELETE FROM {InboxLayout.PartitionOf(slot)} WHERE sent_at < @until", connection, transaction)
                : new NpgsqlCommand($"TRUNCATE {InboxLayout.PartitionOf(slot)}", connection, transaction);
            if (late)
            {
                empty.Parameters.Add(new NpgsqlParameter<DateTime>("until", NpgsqlTypes.NpgsqlDbType.TimestampTz)
                {
                    TypedValue = (DateTimeOffset.UnixEpoch + InboxLayout.Bucket * (expiredDay + 1)).UtcDateTime,
                });
                LogLateRotation(logger, InboxLayout.PartitionOf(slot), Day(expiredDay));
            }

            await empty.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var update = new NpgsqlCommand($"UPDATE {InboxLayout.SlotsTable} SET bucket = @bucket WHERE slot = @slot", connection, transaction))
        {
            update.Parameters.Add(new NpgsqlParameter<short>("slot", slot));
            update.Parameters.Add(new NpgsqlParameter<long?>("bucket", bucket));
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (old is { } expired)
            LogExpired(logger, InboxLayout.PartitionOf(slot), Day(expired));
    }

    static DateOnly Day(long bucket) => DateOnly.FromDateTime((DateTimeOffset.UnixEpoch + InboxLayout.Bucket * bucket).UtcDateTime);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Inbox window: {Window}; a message delivered again later than that after its first send is stored as new")]
    static partial void LogWindow(ILogger logger, TimeSpan window);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Emptied {Partition}: its entries, first sent on {Day}, are older than the inbox window")]
    static partial void LogExpired(ILogger logger, string partition, DateOnly day);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Error, Message = "Inbox slot {Slot} still holds {HeldDay}, inside the window: it cannot take {Day} (a replica runs with a longer Inbox__Window?)")]
    static partial void LogSlotStillLive(ILogger logger, short slot, DateOnly heldDay, DateOnly? day);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "The inbox rotation is late: {Partition} still records {Day}, and may already hold entries of a day under way; only that day's entries are deleted")]
    static partial void LogLateRotation(ILogger logger, string partition, DateOnly day);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Rotating the inbox window failed ({ErrorType}: {Error}); trying again within the hour")]
    static partial void LogRotationFailed(ILogger logger, string errorType, string error);
}
