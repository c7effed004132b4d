using LoginEtl.Worker.Persistence;

namespace LoginEtl.Tests;

public class InboxKeyTests
{
    static readonly DateTimeOffset Sent = new(2026, 11, 29, 23, 59, 59, 123, TimeSpan.Zero);

    [Fact]
    public void An_sqs_message_id_is_stored_as_its_sixteen_bytes_without_text()
    {
        var key = new InboxKey("6c746d21-1851-4f96-b768-60b4913ea091", Sent);

        Assert.Equal(Guid.Parse("6c746d21-1851-4f96-b768-60b4913ea091"), key.Key);
        Assert.True(key.IsUuid);
        Assert.Null(key.TextId);
    }

    [Fact]
    public void Any_other_id_keeps_its_text_beside_a_name_based_uuid_that_the_migration_computes_alike()
    {
        var key = new InboxKey("text-id-1", Sent);

        // The value PostgreSQL gives for 'text-id-1' in the migration that moved the first inbox (checked with psql).
        Assert.Equal(Guid.Parse("8ccd5fd5-b07f-81f2-884f-2420e4eda738"), key.Key);
        Assert.Equal("text-id-1", key.TextId);
        Assert.Equal(8, key.Key.Version);
        Assert.NotEqual(new InboxKey("text-id-2", Sent).Key, key.Key);
    }

    [Fact]
    public void The_send_time_is_kept_to_the_millisecond_so_that_every_delivery_gives_the_same_key()
    {
        var precise = Sent.AddTicks(4_321);

        Assert.Equal(new InboxKey("m", Sent), new InboxKey("m", precise));
        Assert.Equal(Sent, new InboxKey("m", precise).FirstSentAt);
    }

    [Fact]
    public void Each_day_has_its_slot_and_the_slots_come_round_after_thirty_two_days()
    {
        var day = InboxLayout.BucketOf(Sent);

        Assert.Equal(InboxLayout.SlotOf(day), new InboxKey("m", Sent).Slot);
        Assert.Equal(InboxLayout.SlotOf(day), InboxLayout.SlotOf(Sent.AddDays(InboxLayout.Slots)));
        Assert.Equal(Enumerable.Range(0, InboxLayout.Slots).Select(i => (short)i).Order(),
            Enumerable.Range(0, InboxLayout.Slots).Select(i => InboxLayout.SlotOf(day + i)).Order());
        Assert.Equal(day, InboxLayout.BucketOf(Sent.AddMilliseconds(876)));
        Assert.Equal(day + 1, InboxLayout.BucketOf(Sent.AddMilliseconds(877)));
    }

    [Fact]
    public void A_day_expires_once_its_last_entry_is_older_than_the_window()
    {
        var day = InboxLayout.BucketOf(Sent);
        var endOfDay = DateTimeOffset.UnixEpoch + InboxLayout.Bucket * (day + 1);
        var window = TimeSpan.FromDays(8);

        Assert.False(InboxLayout.IsExpired(day, window, endOfDay + window - TimeSpan.FromMilliseconds(1)));
        Assert.True(InboxLayout.IsExpired(day, window, endOfDay + window));
    }
}
