using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using LoginEtl.Worker.Contracts;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Outbox;
using LoginEtl.Worker.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace LoginEtl.Worker.Persistence;

public enum WriteOutcome
{
    Stored,
    AlreadyStored,
}

/// <summary>
/// Group commit: logins from concurrent consumers queue here and are written many to a transaction,
/// each row with its inbox record, so a message delivered twice is stored once. Every caller learns
/// the outcome of its own login once the transaction that holds it has committed (or failed).
/// </summary>
public sealed class LoginWriter : BackgroundService
{
    // One statement per batch: the inbox insert says which messages are new, and only their rows (and, with the
    // outbox on, their events) go in. Entries moved from the first inbox had no send time; they are matched on the
    // key alone until they leave the window (an empty partition costs nothing to probe). Keys are inserted in key
    // order, so two replicas committing overlapping keys wait for each other instead of deadlocking.
    static readonly string InsertSql = InsertSqlFor(outbox: false), InsertWithOutboxSql = InsertSqlFor(outbox: true);

    // Without the outbox, the statement has no outbox column and no outbox insert: nothing for the server to unnest,
    // join and filter away in every batch.
    static string InsertSqlFor(bool outbox) => $"""
        WITH batch AS (
            SELECT * FROM unnest(@sent_ats, @message_keys, @slots, @text_ids, @user_ids, @device_types, @masked_ips,
                                 @masked_device_ids, @locales, @app_versions, @create_dates{(outbox ? ", @outbox_bodies" : "")})
                AS b(sent_at, message_key, slot, text_id, user_id, device_type, masked_ip, masked_device_id, locale,
                     app_version, create_date{(outbox ? ", outbox_body" : "")})
        ), fresh AS (
            INSERT INTO loginetl_inbox (sent_at, message_key, slot, message_id)
            SELECT b.sent_at, b.message_key, b.slot, b.text_id FROM batch b
            WHERE NOT EXISTS (SELECT FROM loginetl_inbox_legacy l WHERE l.sent_at = 'epoch' AND l.message_key = b.message_key)
            ORDER BY b.sent_at, b.message_key
            ON CONFLICT DO NOTHING
            RETURNING sent_at, message_key
        ), recovered AS (
            INSERT INTO loginetl_mask_recovery (masked_value, field, key_fingerprint, sealed_value)
            SELECT * FROM unnest(@recovery_masks, @recovery_fields, @recovery_fingerprints, @recovery_sealed) AS r(m, f, k, v)
            ORDER BY r.m
            ON CONFLICT (masked_value) DO NOTHING
        ), {(outbox ? """
        outboxed AS (
            INSERT INTO loginetl_outbox (message_id, body)
            SELECT coalesce(b.text_id, b.message_key::text), b.outbox_body
            FROM batch b JOIN fresh f USING (sent_at, message_key)
            WHERE b.outbox_body IS NOT NULL
        ),
        """ : "")}stored AS (
            INSERT INTO user_logins (user_id, device_type, masked_ip, masked_device_id, locale, app_version, create_date)
            SELECT b.user_id, b.device_type, b.masked_ip, b.masked_device_id, b.locale, b.app_version, b.create_date
            FROM batch b JOIN fresh f USING (sent_at, message_key)
        )
        SELECT sent_at, message_key FROM fresh
        """;

    static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(1);

    // A batch that lost a race with another transaction (class 40: a deadlock, a serialization failure) is tried again.
    const int RaceAttempts = 3;

    readonly NpgsqlDataSource _dataSource;
    readonly WriterOptions _options;
    readonly LoginEtlTelemetry _telemetry;
    readonly DatabaseAvailability _availability;
    readonly OutboxSignal _outbox;
    readonly Channel<PendingLogin> _queue = Channel.CreateUnbounded<PendingLogin>(new UnboundedChannelOptions { SingleReader = true });

    public LoginWriter(NpgsqlDataSource dataSource, IOptions<WriterOptions> options, LoginEtlTelemetry telemetry,
        DatabaseAvailability availability, OutboxSignal outbox)
    {
        _outbox = outbox;
        _dataSource = dataSource;
        _options = options.Value;
        _telemetry = telemetry;
        _availability = availability;
    }

    /// <summary>
    /// Completes when the transaction holding this login (and its recovery records, stored once per mask)
    /// has committed; throws when it failed. It cannot be abandoned half way: once queued, the login is
    /// committed or fails, within the command timeout, and the caller always learns which.
    /// </summary>
    public Task<WriteOutcome> WriteAsync(InboxKey key, UserLogin login, IReadOnlyList<RecoveryRecord> recovery)
    {
        var pending = new PendingLogin(key, login, recovery, Activity.Current?.Context ?? default);
        if (!_queue.Writer.TryWrite(pending))
            throw new ObjectDisposedException(nameof(LoginWriter));

        return pending.Completion.Task;
    }

    // Runs until the host stops it, which it does after the pollers and the consumer (they are registered after it);
    // what is queued then is still committed.
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        var batch = new List<PendingLogin>(_options.MaxBatchSize);
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
                await CommitNextAsync(reader, batch).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _queue.Writer.TryComplete();
            while (reader.TryPeek(out _))
                await CommitNextAsync(reader, batch).ConfigureAwait(false);
        }
    }

    async Task CommitNextAsync(ChannelReader<PendingLogin> reader, List<PendingLogin> batch)
    {
        await GatherAsync(reader, batch).ConfigureAwait(false);
        await CommitAsync(batch).ConfigureAwait(false);
        batch.Clear();
    }

    // What is queued, and while the batch is short and BatchWait has not passed, what arrives next. The wait
    // only happens under a light or bursty load: under a heavy one a commit's worth is queued by the time the
    // previous commit ends. It is polled every millisecond rather than woken per login.
    async Task GatherAsync(ChannelReader<PendingLogin> reader, List<PendingLogin> batch)
    {
        var waitUntil = Stopwatch.GetTimestamp() + (long)(_options.BatchWait.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var pending))
                batch.Add(pending);
            if (batch.Count >= Math.Min(_options.MinBatchSize, _options.MaxBatchSize) || Stopwatch.GetTimestamp() >= waitUntil)
                return;
            await Task.Delay(PollInterval).ConfigureAwait(false);
        }
    }

    async Task CommitAsync(List<PendingLogin> batch, int attempt = 1)
    {
        try
        {
            await CommitBatchAsync(batch).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (attempt < RaceAttempts && ex.SqlState.StartsWith("40", StringComparison.Ordinal))
        {
            await CommitAsync(batch, attempt + 1).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (batch.Count > 1 && IsRowLevel(ex))
        {
            // The server refused a value in the batch: commit one by one so that the login it rejects
            // fails alone instead of taking its neighbours down with it.
            foreach (var pending in batch)
                await CommitAsync([pending]).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _availability.ReportFailure(ex);
            foreach (var pending in batch)
                pending.Completion.TrySetException(ex);
        }
    }

    async Task CommitBatchAsync(List<PendingLogin> batch)
    {
        // One commit serves many messages: it continues the first one's trace and links the others'.
        using var activity = LoginEtlTelemetry.ActivitySource.StartActivity("loginetl write", ActivityKind.Internal, batch[0].Trace,
            links: batch.Skip(1).Where(p => p.Trace != default).Select(p => new ActivityLink(p.Trace)));
        activity?.SetTag("loginetl.batch.size", batch.Count);
        var started = Stopwatch.GetTimestamp();
        var unique = DistinctByKey(batch);

        await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);

        var fresh = new HashSet<(DateTime, Guid)>(unique.Count);
        await using (var command = BuildInsert(connection, transaction, unique, _outbox.Enabled))
        await using (var rows = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await rows.ReadAsync().ConfigureAwait(false))
                fresh.Add((rows.GetDateTime(0), rows.GetGuid(1)));
        }

        await transaction.CommitAsync().ConfigureAwait(false);
        if (_outbox.Enabled && fresh.Count > 0)
            _outbox.Notify();
        _telemetry.RecordBatch(batch.Count, fresh.Count, Stopwatch.GetElapsedTime(started));

        foreach (var pending in batch)
        {
            // Only the first of two deliveries of one message in the same batch can be the one that stored it.
            var stored = fresh.Remove((pending.Key.FirstSentAt.UtcDateTime, pending.Key.Key));
            pending.Completion.TrySetResult(stored ? WriteOutcome.Stored : WriteOutcome.AlreadyStored);
        }
    }

    // Class 22 (data exception) and 23 (integrity constraint violation) belong to one row, not to the server.
    static bool IsRowLevel(PostgresException ex) =>
        ex.SqlState.StartsWith("22", StringComparison.Ordinal) || ex.SqlState.StartsWith("23", StringComparison.Ordinal);

    static List<PendingLogin> DistinctByKey(List<PendingLogin> batch)
    {
        var seen = new HashSet<(DateTimeOffset, Guid)>(batch.Count);
        var unique = new List<PendingLogin>(batch.Count);
        foreach (var pending in batch)
        {
            if (seen.Add((pending.Key.FirstSentAt, pending.Key.Key)))
                unique.Add(pending);
        }

        return unique;
    }

    static NpgsqlCommand BuildInsert(NpgsqlConnection connection, NpgsqlTransaction transaction, List<PendingLogin> batch, bool outbox)
    {
        var count = batch.Count;
        var outboxBodies = outbox ? new string?[count] : [];
        var sentAts = new DateTime[count];
        var messageKeys = new Guid[count];
        var slots = new short[count];
        var textIds = new string?[count];
        var userIds = new string[count];
        var deviceTypes = new string[count];
        var maskedIps = new string[count];
        var maskedDeviceIds = new string[count];
        var locales = new string?[count];
        var appVersions = new int[count];
        var createDates = new DateOnly[count];
        for (var i = 0; i < count; i++)
        {
            var (key, login) = (batch[i].Key, batch[i].Login);
            sentAts[i] = key.FirstSentAt.UtcDateTime;
            messageKeys[i] = key.Key;
            slots[i] = key.Slot;
            textIds[i] = key.TextId;
            userIds[i] = login.UserId;
            deviceTypes[i] = login.DeviceType;
            maskedIps[i] = login.MaskedIp;
            maskedDeviceIds[i] = login.MaskedDeviceId;
            locales[i] = login.Locale;
            appVersions[i] = login.AppVersion;
            createDates[i] = login.CreateDate;
            if (outbox)
                outboxBodies[i] = JsonSerializer.Serialize(LoginRecordedOf(key.MessageId, login));
        }

        var command = new NpgsqlCommand(outbox ? InsertWithOutboxSql : InsertSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("sent_ats", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = sentAts });
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("message_keys", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = messageKeys });
        command.Parameters.Add(new NpgsqlParameter<short[]>("slots", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { TypedValue = slots });
        command.Parameters.Add(new NpgsqlParameter<string?[]>("text_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = textIds });
        command.Parameters.Add(TextArray("user_ids", userIds));
        command.Parameters.Add(TextArray("device_types", deviceTypes));
        command.Parameters.Add(TextArray("masked_ips", maskedIps));
        command.Parameters.Add(TextArray("masked_device_ids", maskedDeviceIds));
        command.Parameters.Add(TextArray("locales", locales));
        command.Parameters.Add(new NpgsqlParameter<int[]>("app_versions", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = appVersions });
        command.Parameters.Add(new NpgsqlParameter<DateOnly[]>("create_dates", NpgsqlDbType.Array | NpgsqlDbType.Date) { TypedValue = createDates });
        if (outbox)
            command.Parameters.Add(new NpgsqlParameter<string?[]>("outbox_bodies", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = outboxBodies });
        AddRecoveryRecords(command, batch);
        return command;
    }

    static LoginRecorded LoginRecordedOf(string messageId, UserLogin login) => new()
    {
        MessageId = messageId,
        UserId = login.UserId,
        DeviceType = login.DeviceType,
        MaskedIp = login.MaskedIp,
        MaskedDeviceId = login.MaskedDeviceId,
        Locale = login.Locale,
        AppVersion = login.AppVersion,
        CreateDate = login.CreateDate,
    };

    static void AddRecoveryRecords(NpgsqlCommand command, List<PendingLogin> batch)
    {
        var records = batch.SelectMany(p => p.Recovery).DistinctBy(r => r.Mask).ToList();
        command.Parameters.Add(TextArray("recovery_masks", records.Select(r => r.Mask).ToArray()));
        command.Parameters.Add(TextArray("recovery_fields", records.Select(r => r.Field.Name()).ToArray()));
        command.Parameters.Add(TextArray("recovery_fingerprints", records.Select(r => r.KeyFingerprint).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<byte[][]>("recovery_sealed", NpgsqlDbType.Array | NpgsqlDbType.Bytea)
        {
            TypedValue = records.Select(r => r.SealedValue).ToArray(),
        });
    }

    static NpgsqlParameter<string?[]> TextArray(string name, string?[] values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Varchar) { TypedValue = values };

    sealed record PendingLogin(InboxKey Key, UserLogin Login, IReadOnlyList<RecoveryRecord> Recovery, ActivityContext Trace)
    {
        public TaskCompletionSource<WriteOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
