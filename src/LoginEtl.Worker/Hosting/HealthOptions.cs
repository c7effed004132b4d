using System.ComponentModel.DataAnnotations;

namespace LoginEtl.Worker.Hosting;

public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>Port of /health/live and /health/ready on all interfaces; 0 turns the endpoint off.</summary>
    [Range(0, 65535, ErrorMessage = "Health__Port must be from 0 to 65535")]
    public int Port { get; set; } = 8080;

    /// <summary>Readiness turns false when messages are held and none has been settled for this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Health__StallTimeout must be from 1 second to 1 day")]
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
