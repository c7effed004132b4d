using System.Globalization;
using LoginEtl.Worker.Logins;

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
    [InlineData("0", 0)]
    [InlineData("0.0.0", 0)]
    [InlineData("000.000.000", 0)]
    [InlineData("0.0.1", 1)]
    [InlineData("0.0.999", 999)]
    [InlineData("0.1", 1_000)]
    [InlineData("0.999", 999_000)]
    [InlineData("1.0", 1_000_000)]
    [InlineData("1.2.3", 1_002_003)]
    [InlineData("01.02.03", 1_002_003)]
    [InlineData("007", 7_000_000)]
    [InlineData("10.20.30", 10_020_030)]
    [InlineData("999", 999_000_000)]
    [InlineData("999.999", 999_999_000)]
    public void Dotted_versions_encode_part_by_part(string version, int expected)
    {
        Assert.True(AppVersion.TryEncode(version, out var encoded, out var error), error);
        Assert.Equal(expected, encoded);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("", "app_version part 1 is not a number from 0 to 999")]
    [InlineData("abc", "app_version part 1 is not a number from 0 to 999")]
    [InlineData("1.2.3.4", "app_version has 4 parts; at most 3 are allowed")]
    [InlineData("1.2.3.", "app_version has 4 parts; at most 3 are allowed")]
    [InlineData("...", "app_version has 4 parts; at most 3 are allowed")]
    [InlineData("1000", "app_version part 1 is not a number from 0 to 999")]
    [InlineData("0001", "app_version part 1 is not a number from 0 to 999")]
    [InlineData("1.1000", "app_version part 2 is not a number from 0 to 999")]
    [InlineData("1.2.1000", "app_version part 3 is not a number from 0 to 999")]
    [InlineData("1..2", "app_version part 2 is not a number from 0 to 999")]
    [InlineData(".1", "app_version part 1 is not a number from 0 to 999")]
    [InlineData("1.", "app_version part 2 is not a number from 0 to 999")]
    [InlineData(" 1.2", "app_version part 1 is not a number from 0 to 999")]
    [InlineData("1.2 ", "app_version part 2 is not a number from 0 to 999")]
    [InlineData("1. 2", "app_version part 2 is not a number from 0 to 999")]
    [InlineData("-1", "app_version part 1 is not a number from 0 to 999")]
    [InlineData("+1", "app_version part 1 is not a number from 0 to 999")]
    [InlineData("1.-2", "app_version part 2 is not a number from 0 to 999")]
    [InlineData("1.2a", "app_version part 2 is not a number from 0 to 999")]
    [InlineData("v1.2", "app_version part 1 is not a number from 0 to 999")]
    [InlineData("\uff11.\uff12", "app_version part 1 is not a number from 0 to 999")]
    [InlineData("1.\u0662", "app_version part 2 is not a number from 0 to 999")]
    [InlineData("1e3", "app_version part 1 is not a number from 0 to 999")]
    [InlineData("0x1", "app_version part 1 is not a number from 0 to 999")]
    [InlineData("1,2", "app_version part 1 is not a number from 0 to 999")]
    [InlineData("1_0", "app_version part 1 is not a number from 0 to 999")]
    public void Anything_but_one_to_three_dotted_numbers_of_up_to_three_ascii_digits_is_refused(string version, string message)
    {
        Assert.False(AppVersion.TryEncode(version, out _, out var error));
        Assert.Equal(message, error);
    }

    [Fact]
    public void Distinct_versions_never_share_a_value_and_keep_their_order()
    {
        var encodings = new Dictionary<(int Major, int Minor, int Patch), int>();
        var random = new Random(20261125);
        int[] small = [.. Enumerable.Range(0, 21), 99, 100, 101, 998, 999];

        // Every 1-, 2- and 3-part spelling of the small parts, and many random versions in random spellings.
        foreach (var major in small)
        {
            Check(encodings, (major, 0, 0), Spell(major));
            foreach (var minor in small)
            {
                Check(encodings, (major, minor, 0), $"{Spell(major)}.{Spell(minor)}");
                foreach (var patch in small)
                    Check(encodings, (major, minor, patch), $"{Spell(major)}.{Spell(minor)}.{Spell(patch)}");
            }
        }

        for (var i = 0; i < 50_000; i++)
        {
            var version = (random.Next(1000), random.Next(1000), random.Next(1000));
            Check(encodings, version, SpellRandomly(version, random));
        }

        // Injective: as many distinct values as distinct versions.
        Assert.Equal(encodings.Count, encodings.Values.Distinct().Count());

        // Monotonic: in version order, the values strictly increase.
        var ordered = encodings.OrderBy(x => x.Key).ToList();
        for (var i = 1; i < ordered.Count; i++)
            Assert.True(ordered[i - 1].Value < ordered[i].Value, $"{ordered[i - 1].Key} encodes to {ordered[i - 1].Value}, {ordered[i].Key} to {ordered[i].Value}");
    }

    [Theory]
    [InlineData("2.3.0", "2.3.0")]
    [InlineData("0.2.6", "0.2.6")]
    [InlineData("0.26", "0.26.0")]
    [InlineData("2.6", "2.6.0")]
    [InlineData("7", "7.0.0")]
    [InlineData("007.010.001", "7.10.1")]
    [InlineData("0", "0.0.0")]
    [InlineData("999.999.999", "999.999.999")]
    public void A_decoded_version_reads_as_its_three_numbers(string version, string decoded)
    {
        Assert.True(AppVersion.TryEncode(version, out var encoded, out _));

        Assert.Equal(decoded, AppVersion.Decode(encoded));
    }

    [Fact]
    public void Decoding_then_encoding_gives_back_the_same_value()
    {
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var (major, minor, patch) = (random.Next(1000), random.Next(1000), random.Next(1000));
            var version = $"{major}.{minor}.{patch}";
            Assert.True(AppVersion.TryEncode(version, out var encoded, out _));

            Assert.Equal(version, AppVersion.Decode(encoded));
            Assert.True(AppVersion.TryEncode(AppVersion.Decode(encoded), out var again, out _));
            Assert.Equal(encoded, again);
        }
    }

    static void Check(Dictionary<(int, int, int), int> encodings, (int, int, int) version, string spelling)
    {
        Assert.True(AppVersion.TryEncode(spelling, out var encoded, out var error), $"{spelling}: {error}");
        if (encodings.TryGetValue(version, out var earlier))
            Assert.True(earlier == encoded, $"{spelling} encodes to {encoded}, another spelling of {version} to {earlier}");
        else
            encodings.Add(version, encoded);
    }

    static string Spell(int part) => part.ToString(CultureInfo.InvariantCulture);

    // Drops trailing zero parts at random and pads parts with leading zeros at random.
    static string SpellRandomly((int Major, int Minor, int Patch) version, Random random)
    {
        int[] parts = [version.Major, version.Minor, version.Patch];
        var count = 3;
        while (count > 1 && parts[count - 1] == 0 && random.Next(2) == 0)
            count--;

        return string.Join('.', parts.Take(count).Select(p => Spell(p).PadLeft(random.Next(1, 4), '0')));
    }
}
