using System.ComponentModel.DataAnnotations;

namespace LoginEtl.Worker.Persistence;

public sealed class WriterOptions
{
    public const string Section = "Writer";

    /// <summary>Most logins committed in one transaction.</summary>
    [Range(1, 10_000, ErrorMessage = "Writer__MaxBatchSize must be from 1 to 10000")]
    public int MaxBatchSize { get; set; } = 1_000;

    /// <summary>
    /// How long a batch shorter than <see cref="MinBatchSize"/> waits for more logins after the first arrives.
    /// Zero commits whatever is queued at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01", ErrorMessage = "Writer__BatchWait must be from 0 to 1 second")]
    public TimeSpan BatchWait { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>A batch this long is committed without waiting.</summary>
    [Range(1, 10_000, ErrorMessage = "Writer__MinBatchSize must be from 1 to 10000")]
    public int MinBatchSize { get; set; } = 200;
}
