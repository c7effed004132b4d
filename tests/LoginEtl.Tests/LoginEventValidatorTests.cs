using LoginEtl.Worker.Logins;
using LoginEtl.Worker.Contracts;

namespace LoginEtl.Tests;

public class LoginEventValidatorTests
{
    const string UserId = "user-7f3a9c41";
    const string DeviceType = "android-pixel";
    const string Ip = "203.0.113.77";
    const string DeviceId = "555-12-3456";
    const string Locale = "ru-RU";
    const string Emoji = "\U0001F600";

    static readonly LoginEvent Valid = new()
    {
        UserId = UserId, DeviceType = DeviceType, Ip = Ip, DeviceId = DeviceId, Locale = Locale, AppVersion = "2.3.0",
    };

    public static TheoryData<string> Fields => new() { "user_id", "device_type", "ip", "device_id", "locale", "app_version" };

    public static TheoryData<string> RequiredFields => new() { "user_id", "device_type", "ip", "device_id", "app_version" };

    static LoginEvent With(string field, string? value) => field switch
    {
        "user_id" => Valid with { UserId = value },
        "device_type" => Valid with { DeviceType = value },
        "ip" => Valid with { Ip = value },
        "device_id" => Valid with { DeviceId = value },
        "locale" => Valid with { Locale = value },
        "app_version" => Valid with { AppVersion = value },
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    static string ValueOf(string field) => field switch
    {
        "user_id" => UserId,
        "device_type" => DeviceType,
        "ip" => Ip,
        "device_id" => DeviceId,
        "locale" => Locale,
        "app_version" => "2.3.0",
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    // Every refusal is checked for the values it must never quote: the event's own and the offending one.
    static Rejection Invalid(LoginEvent login, string? offending = null)
    {
        Assert.False(LoginEventValidator.TryValidate(login, out var valid, out var error));
        Assert.Null(valid);
        foreach (var value in new[] { UserId, DeviceType, Ip, DeviceId, Locale, offending })
        {
            if (!string.IsNullOrWhiteSpace(value))
                Assert.DoesNotContain(value, error.Reason, StringComparison.Ordinal);
        }

        return error;
    }

    static ValidLoginEvent Validated(LoginEvent login)
    {
        Assert.True(LoginEventValidator.TryValidate(login, out var valid, out var error), error?.Reason);
        return valid;
    }

    [Fact]
    public void A_valid_event_comes_back_with_its_version_encoded()
    {
        Assert.Equal(new ValidLoginEvent(UserId, DeviceType, Ip, DeviceId, Locale, 2_003_000), Validated(Valid));
    }

    [Fact]
    public void A_null_or_empty_locale_is_valid_and_kept_as_sent()
    {
        Assert.Null(Validated(Valid with { Locale = null }).Locale);
        Assert.Equal("", Validated(Valid with { Locale = "" }).Locale);
    }

    [Theory]
    [MemberData(nameof(RequiredFields))]
    public void A_missing_field_is_named(string field)
    {
        var error = Invalid(With(field, null));

        Assert.Equal(InvalidKinds.MissingField, error.Kind);
        Assert.Equal($"{field} is missing or null", error.Reason);
    }

    [Theory]
    [MemberData(nameof(RequiredFields))]
    public void An_empty_or_blank_field_is_named(string field)
    {
        foreach (var blank in new[] { "", " ", "   ", "\t\n", "\r\n", "\u00a0", "\u3000" })
        {
            var error = Invalid(With(field, blank));

            Assert.Equal(InvalidKinds.EmptyField, error.Kind);
            Assert.Equal($"{field} is empty", error.Reason);
        }
    }

    [Theory]
    [InlineData("user_id", 128)]
    [InlineData("device_type", 32)]
    [InlineData("locale", 32)]
    [InlineData("ip", 100)]
    [InlineData("device_id", 128)]
    public void A_value_as_long_as_its_limit_is_valid_and_one_more_is_too_long(string field, int maxLength)
    {
        var longest = new string('x', maxLength);
        var tooLong = new string('x', maxLength + 1);

        Assert.Equal(longest, Stored(field, Validated(With(field, longest))));
        var error = Invalid(With(field, tooLong), tooLong);
        Assert.Equal(InvalidKinds.TooLong, error.Kind);
        Assert.Equal($"{field} is {maxLength + 1} characters long; at most {maxLength} are allowed", error.Reason);
    }

    [Theory]
    [InlineData("user_id", 128)]
    [InlineData("device_type", 32)]
    [InlineData("locale", 32)]
    [InlineData("ip", 100)]
    [InlineData("device_id", 128)]
    public void Lengths_are_counted_in_code_points_not_utf16_units(string field, int maxLength)
    {
        var longest = string.Concat(Enumerable.Repeat(Emoji, maxLength));
        var mixed = new string('x', maxLength - 1) + Emoji;
        var tooLong = string.Concat(Enumerable.Repeat(Emoji, maxLength + 1));

        Assert.Equal(longest, Stored(field, Validated(With(field, longest))));
        Assert.Equal(mixed, Stored(field, Validated(With(field, mixed))));
        var error = Invalid(With(field, tooLong), tooLong);
        Assert.Equal(InvalidKinds.TooLong, error.Kind);
        Assert.Equal($"{field} is {maxLength + 1} characters long; at most {maxLength} are allowed", error.Reason);
    }

    [Fact]
    public void Real_ips_and_device_ids_fit_their_limits()
    {
        string[] ips = ["203.0.113.77", "2001:db8:85a3::8a2e:370:7334", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "fe80::1ff:fe23:4567:890a%enp0s31f6abcde"];
        string[] deviceIds = ["555-12-3456", "9f8e7d6c5b4a3210", "6D92078A-8246-4BA4-AE5B-76104861E7DC", "490154203237518"];

        foreach (var ip in ips)
            Assert.Equal(ip, Validated(Valid with { Ip = ip }).Ip);
        foreach (var deviceId in deviceIds)
            Assert.Equal(deviceId, Validated(Valid with { DeviceId = deviceId }).DeviceId);
    }

    [Theory]
    [MemberData(nameof(Fields))]
    public void A_NUL_character_anywhere_is_invalid_text(string field)
    {
        var value = ValueOf(field);
        foreach (var withNul in new[] { "\0" + value, value[..2] + "\0" + value[2..], value + "\0", "\0" })
        {
            var error = Invalid(With(field, withNul), value);

            Assert.Equal(InvalidKinds.InvalidText, error.Kind);
            Assert.Equal($"{field} contains a NUL character", error.Reason);
        }
    }

    [Theory]
    [MemberData(nameof(Fields))]
    public void An_unpaired_high_or_low_surrogate_is_invalid_text(string field)
    {
        var value = ValueOf(field);
        var unpaired = new[]
        {
            value + "\ud83d",            // high surrogate at the end
            "\ud83d" + value,            // high surrogate followed by an ordinary character
            "\ud83d\ud83d\ude00" + value, // high surrogate followed by a whole pair
            "\ude00" + value,            // low surrogate at the start
            value + "\ude00",            // low surrogate after an ordinary character
            Emoji + "\ude00" + value,    // low surrogate after a whole pair
            "\ude00\ud83d" + value,      // low then high: both halves, in the wrong order
        };
        foreach (var text in unpaired)
        {
            var error = Invalid(With(field, text), value);

            Assert.Equal(InvalidKinds.InvalidText, error.Kind);
            Assert.Equal($"{field} contains an unpaired surrogate", error.Reason);
        }
    }

    [Theory]
    [InlineData("user_id")]
    [InlineData("device_type")]
    [InlineData("ip")]
    [InlineData("device_id")]
    [InlineData("locale")]
    public void Paired_surrogates_are_valid_text(string field)
    {
        var text = Emoji + "\U0001F1F7\U0001F1FA" + "\u65e5\u672c";

        Assert.Equal(text, Stored(field, Validated(With(field, text))));
    }

    [Theory]
    [InlineData("", InvalidKinds.EmptyField)]
    [InlineData("abc", InvalidKinds.InvalidAppVersion)]
    [InlineData("1.2.3.4", InvalidKinds.InvalidAppVersion)]
    [InlineData("1000", InvalidKinds.InvalidAppVersion)]
    [InlineData("1.1000", InvalidKinds.InvalidAppVersion)]
    [InlineData("1..2", InvalidKinds.InvalidAppVersion)]
    [InlineData(".1", InvalidKinds.InvalidAppVersion)]
    [InlineData("1.", InvalidKinds.InvalidAppVersion)]
    [InlineData(" 1.2", InvalidKinds.InvalidAppVersion)]
    [InlineData("1.2 ", InvalidKinds.InvalidAppVersion)]
    [InlineData("-1", InvalidKinds.InvalidAppVersion)]
    [InlineData("+1", InvalidKinds.InvalidAppVersion)]
    [InlineData("1.2a", InvalidKinds.InvalidAppVersion)]
    [InlineData("\uff11.\uff12", InvalidKinds.InvalidAppVersion)]
    [InlineData("1e3", InvalidKinds.InvalidAppVersion)]
    [InlineData("0x1", InvalidKinds.InvalidAppVersion)]
    [InlineData("203.0.113.77", InvalidKinds.InvalidAppVersion)]
    [InlineData("555-12-3456", InvalidKinds.InvalidAppVersion)]
    [InlineData("1.2\0", InvalidKinds.InvalidText)]
    public void An_app_version_that_does_not_encode_is_refused_without_quoting_it(string version, string kind)
    {
        var error = Invalid(Valid with { AppVersion = version }, version);

        Assert.Equal(kind, error.Kind);
        Assert.StartsWith("app_version ", error.Reason, StringComparison.Ordinal);
    }

    static string? Stored(string field, ValidLoginEvent login) => field switch
    {
        "user_id" => login.UserId,
        "device_type" => login.DeviceType,
        "ip" => login.Ip,
        "device_id" => login.DeviceId,
        "locale" => login.Locale,
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };
}
