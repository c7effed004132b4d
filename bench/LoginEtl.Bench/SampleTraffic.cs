using System.Globalization;
using System.Text.Json;

namespace LoginEtl.Bench;

/// <summary>
/// Real-looking login events for the benchmark: about one in four has a null locale, app_version has 1 to 3
/// parts, and a share of the bodies is invalid in the ways producers get it wrong.
/// </summary>
public static class SampleTraffic
{
    static readonly string?[] Locales = ["RU", "PH", "US", "DE", "BR", "ID", "FR", "IN", "JP", null, null, null];
    static readonly string[] Versions = ["2.3.0", "0.96", "2.00", "0.2.6", "0.26", "2.6", "4.7.1", "3.4", "5.0", "1.12.3"];

    public sealed record Message(string Body, bool Valid);

    public static IEnumerable<Message> Generate(int count, double invalidPercent, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var login = Login(random);
            yield return random.NextDouble() * 100 < invalidPercent
                ? new Message(Invalid(random, login), Valid: false)
                : new Message(JsonSerializer.Serialize(login), Valid: true);
        }
    }

    static Dictionary<string, object?> Login(Random random) => new()
    {
        ["user_id"] = UserId(random),
        ["app_version"] = Versions[random.Next(Versions.Length)],
        ["device_type"] = random.Next(2) == 0 ? "android" : "ios",
        ["ip"] = string.Create(CultureInfo.InvariantCulture, $"{random.Next(1, 224)}.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}"),
        ["locale"] = Locales[random.Next(Locales.Length)],
        ["device_id"] = string.Create(CultureInfo.InvariantCulture, $"{random.Next(100, 1000)}-{random.Next(10, 100)}-{random.Next(1000, 10000)}"),
    };

    static string UserId(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes).ToString();
    }

    static string Invalid(Random random, Dictionary<string, object?> login)
    {
        switch (random.Next(6))
        {
            case 0: return """{"foo": "oops_wrong_msg_type", "bar": "123"}""";
            case 1: return "not json at all";
            case 2: login["app_version"] = "abc"; break;
            case 3: login["user_id"] = 12345; break;
            case 4: login["locale"] = new string('x', 40); break;
            default: return JsonSerializer.Serialize(login)[..40];
        }

        return JsonSerializer.Serialize(login);
    }
}
