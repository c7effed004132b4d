using LoginEtl.Worker.Sqs;

namespace LoginEtl.Tests;

public class ActivePollersTests
{
    [Fact]
    public void A_replica_starts_with_one_poller_and_adds_one_for_each_full_receive_up_to_the_maximum()
    {
        var pollers = new ActivePollers(maximum: 4, fullReceive: 10);
        Assert.Equal(1, pollers.Active);

        var seen = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            pollers.Observe(10);
            seen.Add(pollers.Active);
        }

        Assert.Equal([2, 3, 4, 4, 4, 4], seen);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(4, 2)]
    [InlineData(5, 3)]
    [InlineData(9, 3)]
    public void An_empty_or_under_half_receive_drops_one_poller_and_a_fuller_one_keeps_them(int received, int expected)
    {
        var pollers = new ActivePollers(maximum: 8, fullReceive: 10);
        pollers.Observe(10);
        pollers.Observe(10);

        pollers.Observe(received);

        Assert.Equal(expected, pollers.Active);
    }

    [Fact]
    public void An_idle_replica_keeps_one_poller()
    {
        var pollers = new ActivePollers(maximum: 32, fullReceive: 10);
        for (var i = 0; i < 31; i++)
            pollers.Observe(10);
        Assert.Equal(32, pollers.Active);

        for (var i = 0; i < 100; i++)
            pollers.Observe(0);

        Assert.Equal(1, pollers.Active);
    }

    [Fact]
    public async Task A_poller_past_the_active_ones_waits_until_a_full_receive_makes_room_for_it()
    {
        var pollers = new ActivePollers(maximum: 3, fullReceive: 10);
        await pollers.WaitForTurnAsync(0, CancellationToken.None);
        var second = pollers.WaitForTurnAsync(1, CancellationToken.None);
        var third = pollers.WaitForTurnAsync(2, CancellationToken.None);
        Assert.False(second.IsCompleted);

        pollers.Observe(10);
        await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(third.IsCompleted);

        pollers.Observe(10);
        await third.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_waiting_poller_stops_waiting_when_the_service_stops()
    {
        var pollers = new ActivePollers(maximum: 2, fullReceive: 10);
        using var stopping = new CancellationTokenSource();
        var waiting = pollers.WaitForTurnAsync(1, stopping.Token);

        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
