using System.Text.Json.Serialization;

namespace LoginEtl.Worker.Contracts;

/// <summary>
/// A user-login event as producers put it on the queue: raw JSON with snake_case keys.
/// Every property is nullable because the queue carries whatever producers send;
/// <see cref="Consumers.LoginEventValidator"/> decides what is acceptable.
/// </summary>
public sealed record LoginEvent
{
    [JsonPropertyName("user_id")]
    public string? UserId { get; init; }

    [JsonPropertyName("device_type")]
    public string? DeviceType { get; init; }

    [JsonPropertyName("ip")]
    public string? Ip { get; init; }

    [JsonPropertyName("device_id")]
    public string? DeviceId { get; init; }

    [JsonPropertyName("locale")]
    public string? Locale { get; init; }

    [JsonPropertyName("app_version")]
    public string? AppVersion { get; init; }
}
