using System.ComponentModel.DataAnnotations;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Tests;

public class SqsOptionsTests
{
    static SqsOptions Options(TimeSpan delay, TimeSpan max) => new() { RedeliveryDelay = delay, MaxRedeliveryDelay = max };

    [Theory]
    [InlineData(-1, 10)]
    [InlineData(0, 10)]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(3, 40)]
    [InlineData(4, 80)]
    [InlineData(5, 160)]
    [InlineData(6, 320)]
    [InlineData(7, 600)]
    [InlineData(8, 600)]
    [InlineData(31, 600)]
    [InlineData(1_000_000, 600)]
    [InlineData(int.MaxValue, 600)]
    public void The_redelivery_delay_doubles_per_receive_up_to_its_ceiling(int receiveCount, int seconds)
    {
        var options = Options(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10));

        Assert.Equal(TimeSpan.FromSeconds(seconds), options.RedeliveryDelayFor(receiveCount));
    }

    [Fact]
    public void The_defaults_start_at_10_seconds_and_stop_at_15_minutes()
    {
        var options = new SqsOptions();

        Assert.Equal(TimeSpan.FromSeconds(10), options.RedeliveryDelayFor(1));
        Assert.Equal(TimeSpan.FromSeconds(640), options.RedeliveryDelayFor(7));
        Assert.Equal(TimeSpan.FromMinutes(15), options.RedeliveryDelayFor(8));
        Assert.Equal(TimeSpan.FromMinutes(15), options.RedeliveryDelayFor(int.MaxValue));
    }

    [Fact]
    public void A_ceiling_below_the_first_delay_caps_it_and_a_zero_delay_stays_zero()
    {
        Assert.Equal(TimeSpan.FromMinutes(5), Options(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(5)).RedeliveryDelayFor(1));
        Assert.Equal(TimeSpan.Zero, Options(TimeSpan.Zero, TimeSpan.FromHours(12)).RedeliveryDelayFor(1_000));
        Assert.Equal(TimeSpan.Zero, Options(TimeSpan.FromSeconds(10), TimeSpan.Zero).RedeliveryDelayFor(3));
    }

    // Seconds of RedeliveryDelay and MaxRedeliveryDelay; both may be set anywhere from 0 to 12 hours.
    [Theory]
    [InlineData(1, 43_200)]
    [InlineData(10, 900)]
    [InlineData(840, 43_200)]
    [InlineData(900, 43_200)]
    [InlineData(3_600, 43_200)]
    [InlineData(43_200, 43_200)]
    public void Any_receive_count_gives_the_doubled_delay_capped_without_overflow_for_every_allowed_setting(int delaySeconds, int maxSeconds)
    {
        var (delay, max) = (TimeSpan.FromSeconds(delaySeconds), TimeSpan.FromSeconds(maxSeconds));
        var options = Options(delay, max);
        Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), null, validateAllProperties: true));

        foreach (var receiveCount in Enumerable.Range(0, 100).Append(1_000).Append(int.MaxValue))
        {
            var failure = Record.Exception(() => options.RedeliveryDelayFor(receiveCount));
            Assert.True(failure is null, $"RedeliveryDelay={delay}, MaxRedeliveryDelay={max}, receive count {receiveCount}: {failure}");
            Assert.Equal(Expected(delay, max, receiveCount), options.RedeliveryDelayFor(receiveCount));
        }
    }

    // Doubling one receive at a time, capped at each step: no multiplication that could overflow.
    static TimeSpan Expected(TimeSpan delay, TimeSpan max, int receiveCount)
    {
        var ticks = Math.Min(delay.Ticks, max.Ticks);
        for (var receive = 2; receive <= receiveCount && ticks > 0 && ticks < max.Ticks; receive++)
            ticks = Math.Min(ticks * 2, max.Ticks);

        return TimeSpan.FromTicks(ticks);
    }

    [Theory]
    [InlineData(10, null)]
    [InlineData(640, null)]
    [InlineData(10_000, null)]
    [InlineData(0, "Sqs__MaxInFlight must be from 10 to 10000")]
    [InlineData(10_010, "Sqs__MaxInFlight must be from 10 to 10000")]
    [InlineData(25, "Sqs__MaxInFlight must be a multiple of 10")]
    public void The_in_flight_cap_is_a_multiple_of_ten_receives(int maxInFlight, string? error)
    {
        var options = new SqsOptions { MaxInFlight = maxInFlight };
        var results = new List<ValidationResult>();

        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);

        Assert.Equal(error is null ? [] : [error], results.Select(r => r.ErrorMessage));
        if (error is null)
            Assert.Equal(maxInFlight / 10, options.ReceivesInFlight);
    }

    [Theory]
    [InlineData(1_024, null)]
    [InlineData(16_384, null)]
    [InlineData(1_048_576, null)]
    [InlineData(1_023, "Sqs__MaxBodyBytes must be from 1024 to 1048576")]
    [InlineData(1_048_577, "Sqs__MaxBodyBytes must be from 1024 to 1048576")]
    public void The_body_limit_is_from_1_KiB_to_the_largest_body_SQS_takes(int maxBodyBytes, string? error)
    {
        var options = new SqsOptions { MaxBodyBytes = maxBodyBytes };
        var results = new List<ValidationResult>();

        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);

        Assert.Equal(error is null ? [] : [error], results.Select(r => r.ErrorMessage));
        Assert.Equal(16 * 1024, new SqsOptions().MaxBodyBytes);
    }
}
