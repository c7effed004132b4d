using LoginEtl.Worker.Logins;

namespace LoginEtl.Tests;

public class BodySizeLimitTests
{
    const int Limit = 16_384;

    [Theory]
    [InlineData("x", 1)]
    [InlineData("x", Limit)]
    [InlineData("\u00e9", Limit / 2)]        // two UTF-8 bytes each
    [InlineData("\u7528", Limit / 3)]        // three
    [InlineData("\U0001F600", Limit / 4)]    // four, in two UTF-16 units
    public void A_body_of_at_most_the_limit_in_utf8_bytes_fits(string unit, int count)
    {
        Assert.Null(BodySizeLimit.Check(string.Concat(Enumerable.Repeat(unit, count)), Limit));
    }

    [Theory]
    [InlineData("x", Limit + 1, Limit + 1)]
    [InlineData("x", 262_144, 262_144)]
    [InlineData("\u00e9", Limit / 2 + 1, Limit + 2)]
    [InlineData("\u7528", Limit / 3 + 1, Limit + 2)]
    [InlineData("\U0001F600", Limit / 4 + 1, Limit + 4)]
    public void A_body_over_the_limit_is_too_large_and_its_reason_gives_the_size_and_the_limit(string unit, int count, int bytes)
    {
        var body = string.Concat(Enumerable.Repeat(unit, count));

        var reason = BodySizeLimit.Check(body, Limit);

        Assert.Equal(new Rejection(InvalidKinds.TooLarge, $"body is {bytes} bytes; at most {Limit} are allowed"), reason);
    }

    [Fact]
    public void A_lone_surrogate_counts_as_the_three_bytes_it_is_sent_as()
    {
        Assert.Null(BodySizeLimit.Check(new string('\ud800', Limit / 3), Limit));
        Assert.Equal(InvalidKinds.TooLarge, BodySizeLimit.Check(new string('\ud800', Limit / 3 + 1), Limit)?.Kind);
    }
}
