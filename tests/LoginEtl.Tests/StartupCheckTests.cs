using LoginEtl.Worker;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Persistence;

namespace LoginEtl.Tests;

public class StartupCheckTests
{
    sealed class Horizon(TimeSpan horizon) : IRedeliveryHorizon
    {
        public TimeSpan RedeliveryHorizon => horizon;
    }

    [Fact]
    public void An_inbox_window_shorter_than_the_queues_can_redeliver_stops_the_service_naming_the_setting()
    {
        var error = Assert.Throws<StartupException>(() =>
            StartupChecks.EnsureInboxCoversRedeliveries(new InboxOptions { Window = TimeSpan.FromDays(2) }, new Horizon(TimeSpan.FromDays(8))));

        Assert.StartsWith("Inbox__Window (2.00:00:00) is shorter than the queues can still deliver a message (8.00:00:00", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, 8)]
    [InlineData(8, 8)]
    [InlineData(10, 8)]
    [InlineData(29, 28)]
    [InlineData(29, 40)] // longer than the layout holds: the window is capped there, which run reports by itself
    public void A_window_unset_or_covering_the_horizon_passes(int? windowDays, int horizonDays)
    {
        StartupChecks.EnsureInboxCoversRedeliveries(
            new InboxOptions { Window = windowDays is { } days ? TimeSpan.FromDays(days) : null }, new Horizon(TimeSpan.FromDays(horizonDays)));
    }
}
