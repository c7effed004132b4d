using System.Text.Json.Serialization;

namespace LoginEtl.Worker.Contracts;

/// <summary>
/// Published for each stored login when <c>Outbox__QueueName</c> is set: the row as stored, masked fields only,
/// with the SQS message id it came from (consumers deduplicate on it: delivery is at least once).
/// </summary>
public sealed record LoginRecorded
{
    [JsonPropertyName("message_id")]
    public required string MessageId { get; init; }

    [JsonPropertyName("user_id")]
    public required string UserId { get; init; }

    [JsonPropertyName("device_type")]
    public required string DeviceType { get; init; }

    [JsonPropertyName("masked_ip")]
    public required string MaskedIp { get; init; }

    [JsonPropertyName("masked_device_id")]
    public required string MaskedDeviceId { get; init; }

    [JsonPropertyName("locale")]
    public string? Locale { get; init; }

    [JsonPropertyName("app_version")]
    public required int AppVersion { get; init; }

    [JsonPropertyName("create_date")]
    public required DateOnly CreateDate { get; init; }
}
