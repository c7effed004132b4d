using System.ComponentModel.DataAnnotations;

namespace LoginEtl.Worker.Persistence;

public sealed class WriterOptions
{
    public const string Section = "Writer";

    /// <summary>Most logins committed in one transaction.</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 1_000;

    /// <summary>
    /// How long a batch waits for more logins after the first arrives. Zero commits whatever is queued at once;
    /// a few milliseconds trade latency for larger batches when the load is light.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan BatchWait { get; set; } = TimeSpan.Zero;
}
