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

    public const string Ip = "203.0.113.77";
    public const string DeviceId = "555-12-3456";

    /// <summary>
    /// A login event as raw JSON, each field given as the JSON text of its value (<c>"\"u\""</c>, <c>12</c>, <c>null</c>):
    /// for bodies of the wrong type, length or shape. Any field not given is valid.
    /// </summary>
    public static string Json(string userId = "\"u\"", string deviceType = "\"ios\"", string ip = $"\"{Ip}\"",
        string deviceId = $"\"{DeviceId}\"", string locale = "null", string appVersion = "\"1.2.3\"") =>
        $$"""{"user_id": {{userId}}, "device_type": {{deviceType}}, "ip": {{ip}}, "device_id": {{deviceId}}, "locale": {{locale}}, "app_version": {{appVersion}}}""";

    /// <summary>A valid login event of <paramref name="userId"/>, as raw JSON.</summary>
    public static string OfUser(string userId) => Json(userId: JsonSerializer.Serialize(userId));

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
