using LoginEtl.Worker.Consumers;

namespace LoginEtl.Tests;

public class AppVersionTests
{
    [Theory]
    [InlineData("2.3.0", 2_003_000)]
    [InlineData("0.2.6", 2_006)]
    [InlineData("0.26", 26_000)]
    [InlineData("2.6", 2_006_000)]
    [InlineData("2.00", 2_000_000)]
    [InlineData("7", 7_000_000)]
    [InlineData("999.999.999", 999_999_999)]
    public void Dotted_versions_encode_part_by_part(string version, int expected)
    {
        Assert.True(AppVersion.TryEncode(version, out var encoded, out var error), error);
        Assert.Equal(expected, encoded);
    }
}
