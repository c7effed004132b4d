using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Contracts;

namespace LoginEtl.Tests;

public class LoginEventValidatorTests
{
    const string Ip = "203.0.113.77";
    const string DeviceId = "555-12-3456";

    static readonly LoginEvent Valid = new()
    {
        UserId = "424cdd21-063a-43a7-b91b-7ca1a833afae", DeviceType = "android", Ip = Ip, DeviceId = DeviceId,
        Locale = "RU", AppVersion = "2.3.0",
    };

    static InvalidLoginEventException Invalid(LoginEvent login)
    {
        var error = Assert.Throws<InvalidLoginEventException>(() => LoginEventValidator.Validate(login));
        Assert.DoesNotContain(Ip, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(DeviceId, error.Message, StringComparison.Ordinal);
        return error;
    }

    [Fact]
    public void A_valid_event_comes_back_with_its_version_encoded()
    {
        Assert.Equal(new ValidLoginEvent(Valid.UserId!, "android", Ip, DeviceId, "RU", 2_003_000), LoginEventValidator.Validate(Valid));
        Assert.Null(LoginEventValidator.Validate(Valid with { Locale = null }).Locale);
        Assert.Equal("", LoginEventValidator.Validate(Valid with { Locale = "" }).Locale);
    }

    [Fact]
    public void Each_missing_field_is_named()
    {
        Assert.Equal("user_id is missing or null", Invalid(Valid with { UserId = null }).Message);
        Assert.Equal("device_type is missing or null", Invalid(Valid with { DeviceType = null }).Message);
        Assert.Equal("ip is missing or null", Invalid(Valid with { Ip = null }).Message);
        Assert.Equal("device_id is missing or null", Invalid(Valid with { DeviceId = null }).Message);
        Assert.Equal(InvalidKinds.MissingField, Invalid(Valid with { AppVersion = null }).Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n")]
    public void Empty_or_blank_fields_are_empty(string blank)
    {
        Assert.Equal(InvalidKinds.EmptyField, Invalid(Valid with { UserId = blank }).Kind);
        Assert.Equal(InvalidKinds.EmptyField, Invalid(Valid with { Ip = blank }).Kind);
        Assert.Equal(InvalidKinds.EmptyField, Invalid(Valid with { AppVersion = blank }).Kind);
    }

    [Fact]
    public void Values_longer_than_their_column_are_too_long_counted_in_code_points()
    {
        LoginEventValidator.Validate(Valid with { UserId = new string('u', 128), DeviceType = new string('d', 32), Locale = new string('l', 32) });
        LoginEventValidator.Validate(Valid with { UserId = string.Concat(Enumerable.Repeat("😀", 128)) });

        Assert.Equal("user_id is 129 characters long; at most 128 are allowed", Invalid(Valid with { UserId = new string('u', 129) }).Message);
        Assert.Equal(InvalidKinds.TooLong, Invalid(Valid with { UserId = string.Concat(Enumerable.Repeat("😀", 129)) }).Kind);
        Assert.Equal(InvalidKinds.TooLong, Invalid(Valid with { DeviceType = new string('d', 33) }).Kind);
        Assert.Equal(InvalidKinds.TooLong, Invalid(Valid with { Locale = new string('l', 33) }).Kind);
    }

    [Fact]
    public void NUL_characters_and_unpaired_surrogates_are_invalid_text_in_any_field()
    {
        Assert.Equal(InvalidKinds.InvalidText, Invalid(Valid with { Locale = "en\0" }).Kind);
        Assert.Equal(InvalidKinds.InvalidText, Invalid(Valid with { Ip = Ip + "\0" }).Kind);
        Assert.Equal(InvalidKinds.InvalidText, Invalid(Valid with { DeviceId = DeviceId + "\ud800" }).Kind);
        Assert.Equal(InvalidKinds.InvalidText, Invalid(Valid with { UserId = "\udc00u" }).Kind);
        Assert.Equal("ip contains a NUL character", Invalid(Valid with { Ip = Ip + "\0" }).Message);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1.1000")]
    [InlineData("1.2.3.4")]
    [InlineData("1..2")]
    [InlineData(" 1.2")]
    [InlineData("-1")]
    [InlineData("１.２")]
    public void An_app_version_that_does_not_encode_is_invalid(string version)
    {
        Assert.Equal(InvalidKinds.InvalidAppVersion, Invalid(Valid with { AppVersion = version }).Kind);
    }
}
