using System.ComponentModel.DataAnnotations;

namespace LoginEtl.Worker.Persistence;

public sealed class WriterOptions
{
    public const string Section = "Writer";

    /// <summary>Most logins committed in one transaction.</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 1_000;

    /// <summary>
    /// How long a batch shorter than <see cref="MinBatchSize"/> waits for more logins after the first arrives.
    /// Zero commits whatever is queued at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan BatchWait { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>A batch this long is committed without waiting.</summary>
    [Range(1, 10_000)]
    public int MinBatchSize { get; set; } = 50;
}
