using System.Globalization;
using System.Text.Json;

namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>Real-looking login events, as producers write them (snake_case JSON, locale sometimes null).</summary>
static class SampleLogins
{
    static readonly string[] DeviceTypes = ["android", "ios"];
    static readonly string?[] Locales = ["RU", "PH", "US", "DE", null, null, "BR", "ID", null, "FR"];
    static readonly string[] Versions = ["2.3.0", "0.96", "2.00", "0.2.6", "0.26", "2.6", "4.7.1", "3.4"];

    public sealed record Login(string UserId, string DeviceType, string Ip, string DeviceId, string? Locale, string AppVersion);

    public static List<Login> Generate(int count, int seed = 42)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => new Login(
            Guid.NewGuid().ToString(),
            DeviceTypes[random.Next(DeviceTypes.Length)],
            string.Join('.', Enumerable.Range(0, 4).Select(_ => random.Next(1, 255).ToString(CultureInfo.InvariantCulture))),
            $"{random.Next(100, 1000)}-{random.Next(10, 100)}-{random.Next(1000, 10000)}",
            Locales[random.Next(Locales.Length)],
            Versions[random.Next(Versions.Length)])).ToList();
    }

    public static string ToJson(Login login) => JsonSerializer.Serialize(new Dictionary<string, string?>
    {
        ["user_id"] = login.UserId,
        ["app_version"] = login.AppVersion,
        ["device_type"] = login.DeviceType,
        ["ip"] = login.Ip,
        ["locale"] = login.Locale,
        ["device_id"] = login.DeviceId,
    });
}
