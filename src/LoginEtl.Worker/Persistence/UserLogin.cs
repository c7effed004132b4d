namespace LoginEtl.Worker.Persistence;

/// <summary>One row of <c>user_logins</c>, whose definition is fixed by its consumers.</summary>
public sealed record UserLogin
{
    public required string UserId { get; init; }
    public required string DeviceType { get; init; }
    public required string MaskedIp { get; init; }
    public required string MaskedDeviceId { get; init; }
    public string? Locale { get; init; }
    public required int AppVersion { get; init; }
    public required DateOnly CreateDate { get; init; }
}
