using System.ComponentModel.DataAnnotations;

namespace LoginEtl.Worker.Hosting;

public sealed class HealthOptions : IValidatableObject
{
    public const string Section = "Health";

    /// <summary>
    /// Port of /health/live, /health/ready and /metrics on all interfaces, overriding where ASP.NET Core's own
    /// settings (ASPNETCORE_HTTP_PORTS, ASPNETCORE_URLS) put them; 0 turns the endpoint off. Unset, those settings
    /// apply: the ASP.NET Core images set ASPNETCORE_HTTP_PORTS=8080.
    /// </summary>
    [Range(0, 65535, ErrorMessage = "Health__Port must be from 0 to 65535")]
    public int? Port { get; set; }

    /// <summary>Readiness turns false when messages are held and none has been settled for this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Health__StallTimeout must be from 1 second to 1 day")]
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Liveness turns false (and Kubernetes restarts the process) when messages are held and none has been settled
    /// for this long: much longer than <see cref="StallTimeout"/>, so that a replica is first taken out of rotation
    /// and only restarted when it does not recover by itself.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "7.00:00:00", ErrorMessage = "Health__LivenessStallTimeout must be from 2 seconds to 7 days")]
    public TimeSpan LivenessStallTimeout { get; set; } = TimeSpan.FromMinutes(15);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LivenessStallTimeout < 2 * StallTimeout)
        {
            yield return new ValidationResult(
                $"Health__LivenessStallTimeout ({LivenessStallTimeout}) must be at least twice Health__StallTimeout ({StallTimeout})",
                [nameof(LivenessStallTimeout)]);
        }
    }
}
