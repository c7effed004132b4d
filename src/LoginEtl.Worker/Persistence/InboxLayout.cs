namespace LoginEtl.Worker.Persistence;

/// <summary>
/// How the inbox is laid out: <c>loginetl_inbox</c> is partitioned by <c>slot</c> into <see cref="Slots"/> tables,
/// one day (a bucket) of first-send times each, reused in turn. A slot is emptied with one TRUNCATE once every entry
/// in it is older than the window, so expiry costs the same whatever the rate. Entries moved from the first,
/// unpartitioned inbox, whose send times were never recorded, live in <c>loginetl_inbox_legacy</c> (slot
/// <see cref="LegacySlot"/>) until they too are older than the window.
/// </summary>
public static class InboxLayout
{
    public const int Slots = 32;
    public const short LegacySlot = -1;
    public const string LegacyPartition = "loginetl_inbox_legacy";
    public const string SlotsTable = "loginetl_inbox_slots";

    public static readonly TimeSpan Bucket = TimeSpan.FromDays(1);

    /// <summary>
    /// The longest window the layout holds: the live buckets plus the one being prepared ahead and today's must fit
    /// in <see cref="Slots"/> (see <see cref="InboxWindow"/>).
    /// </summary>
    public static readonly TimeSpan MaxWindow = Bucket * (Slots - 3);

    /// <summary>The day number (since 1970-01-01 UTC) of a first-send time.</summary>
    public static long BucketOf(DateTimeOffset sentAt) => (long)Math.Floor(sentAt.ToUnixTimeMilliseconds() / Bucket.TotalMilliseconds);

    public static short SlotOf(long bucket) => (short)(((bucket % Slots) + Slots) % Slots);

    public static short SlotOf(DateTimeOffset sentAt) => SlotOf(BucketOf(sentAt));

    public static string PartitionOf(short slot) => slot == LegacySlot ? LegacyPartition : $"loginetl_inbox_{slot:00}";

    /// <summary>Every entry of <paramref name="bucket"/> is older than <paramref name="window"/> at <paramref name="now"/>.</summary>
    public static bool IsExpired(long bucket, TimeSpan window, DateTimeOffset now) =>
        DateTimeOffset.UnixEpoch + Bucket * (bucket + 1) + window <= now;
}
