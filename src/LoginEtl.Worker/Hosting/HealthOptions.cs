using System.ComponentModel.DataAnnotations;

namespace LoginEtl.Worker.Hosting;

public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>Port of /health/live and /health/ready on all interfaces; 0 turns the endpoint off.</summary>
    [Range(0, 65535, ErrorMessage = "Health__Port must be from 0 to 65535")]
    public int Port { get; set; } = 8080;
}
