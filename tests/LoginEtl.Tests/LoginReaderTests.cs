using System.Text;
using LoginEtl.Testing;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Logins;
using LoginEtl.Worker.Masking;

namespace LoginEtl.Tests;

/// <summary>The reader turns any body into a login or a typed rejection, and never throws.</summary>
public class LoginReaderTests
{
    const int MaxBodyBytes = 256 * 1024;

    static readonly HashSet<string> Kinds =
    [
        InvalidKinds.TooLarge, InvalidKinds.MalformedJson, InvalidKinds.DuplicateProperty, InvalidKinds.Comment,
        InvalidKinds.TrailingComma, InvalidKinds.NotAnObject, InvalidKinds.WrongType, InvalidKinds.MissingField,
        InvalidKinds.EmptyField, InvalidKinds.TooLong, InvalidKinds.InvalidText, InvalidKinds.InvalidAppVersion, InvalidKinds.Envelope,
    ];

    static LoginReader Reader(string mode = MaskingModes.Hash) =>
        new(new LoginMasking(MaskingKeyRing.Load(new MaskingOptions { Mode = mode, Key = Convert.ToBase64String(new byte[32]) })));

    static Rejection Rejected(LoginRead read)
    {
        Assert.Null(read.Login);
        Assert.NotNull(read.Rejection);
        Assert.Contains(read.Rejection.Kind, Kinds);
        Assert.False(string.IsNullOrWhiteSpace(read.Rejection.Reason));
        return read.Rejection;
    }

    [Theory]
    [InlineData("""{"\ud800":1}""", InvalidKinds.InvalidText)]
    [InlineData("""{"user_id":"a","\udc00x":"b"}""", InvalidKinds.InvalidText)]
    [InlineData("""{"user_id":"a\ud800","device_type":"ios","ip":"1.2.3.4","device_id":"1","app_version":"1.0"}""", InvalidKinds.InvalidText)]
    [InlineData("""{"user_id":12,"device_type":"ios","ip":"1.2.3.4","device_id":"1","app_version":"1.0"}""", InvalidKinds.WrongType)]
    [InlineData("""{"user_id":"u","device_type":"ios","ip":["1.2.3.4"],"device_id":"1","app_version":"1.0"}""", InvalidKinds.WrongType)]
    [InlineData("""{"user_id":"u","device_type":"ios","ip":"1.2.3.4","device_id":{"a":1},"app_version":"1.0"}""", InvalidKinds.WrongType)]
    [InlineData("\uFEFF{}", InvalidKinds.NotAnObject)]
    public void A_body_that_broke_the_receive_path_is_a_rejection_of_its_kind(string body, string kind)
    {
        Assert.Equal(kind, Rejected(Reader().Read(body, MaxBodyBytes)).Kind);
    }

    [Fact]
    public void A_valid_login_is_read_and_masked_in_one_pass()
    {
        var read = Reader().Read("""{"user_id":"u\ud83d\ude00","device_type":"ios","ip":"203.0.113.7","device_id":"555-12-3456","locale":null,"app_version":"0.2.6","x":1e99999}""", MaxBodyBytes);

        Assert.Null(read.Rejection);
        Assert.Equal("u\uD83D\uDE00", read.Login!.UserId);
        Assert.Equal(2_006, read.Login.AppVersion);
        Assert.DoesNotContain("203.0.113.7", read.Masked!.MaskedIp, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(MaskingModes.Hash, 1)]
    [InlineData(MaskingModes.Encrypt, 2)]
    public void Generated_hostile_bodies_are_each_a_typed_rejection_and_never_an_exception(string mode, int seed)
    {
        var reader = Reader(mode);
        var bodies = new HostileBodies(seed);
        for (var i = 0; i < 40_000; i++)
        {
            var body = bodies.Next();
            var read = reader.Read(body, MaxBodyBytes);
            Assert.True(read.Rejection is not null, $"body {i} was read as a valid login: {body}");
            Rejected(read);
        }
    }

    [Fact]
    public void Generated_bytes_with_invalid_utf8_or_cut_short_are_never_an_exception()
    {
        var bodies = new HostileBodies(3);
        for (var i = 0; i < 40_000; i++)
        {
            var bytes = bodies.NextBytes();
            // Whatever the bytes, an answer: a reason, or a strict object whose fields were read.
            var rejection = StrictJsonObject.Read(bytes, out var login);
            Assert.True(rejection is not null || login is not null, $"bytes {i} gave neither: {Convert.ToHexString(bytes)}");
        }
    }

    [Fact]
    public void Valid_logins_mutated_at_random_are_read_or_rejected_never_thrown()
    {
        var reader = Reader();
        var random = new Random(4);
        const string Login = """{"user_id":"424cdd21-063a-43a7-b91b-7ca1a833afae","app_version":"2.3.0","device_type":"android","ip":"199.172.111.135","locale":"RU","device_id":"593-47-5928"}""";
        string[] inserts = ["\\ud800", "\\u0000", "\uD800", "\"", "\\", "{", "}", "[", "]", ",", ":", "1e999", "\uFEFF", "/*", "null", "\\udfff\\ud800"];
        var valid = 0;
        for (var i = 0; i < 40_000; i++)
        {
            var body = new StringBuilder(Login);
            for (var n = random.Next(1, 4); n > 0; n--)
            {
                var at = random.Next(body.Length + 1);
                if (random.Next(3) == 0 && at < body.Length)
                    body.Remove(at, 1);
                else
                    body.Insert(at, inserts[random.Next(inserts.Length)]);
            }

            var read = reader.Read(body.ToString(), MaxBodyBytes);
            if (read.Rejection is null)
            {
                Assert.NotNull(read.Login);
                Assert.NotNull(read.Masked);
                valid++;
            }
            else
            {
                Rejected(read);
            }
        }

        // Some mutations land inside a value and leave a valid login: both outcomes are exercised.
        Assert.InRange(valid, 1, 39_999);
    }
}
