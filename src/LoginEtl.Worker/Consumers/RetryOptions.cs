using System.ComponentModel.DataAnnotations;

namespace LoginEtl.Worker.Consumers;

/// <summary>In-process retries of a transient failure, before the message is left for SQS to redeliver.</summary>
public sealed class RetryOptions
{
    public const string Section = "Retry";

    [Range(0, 20, ErrorMessage = "Retry__Limit must be from 0 to 20")]
    public int Limit { get; set; } = 3;

    [Range(typeof(TimeSpan), "00:00:00", "00:05:00", ErrorMessage = "Retry__MinInterval must be from 0 to 5 minutes")]
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    [Range(typeof(TimeSpan), "00:00:00", "00:05:00", ErrorMessage = "Retry__MaxInterval must be from 0 to 5 minutes")]
    public TimeSpan MaxInterval { get; set; } = TimeSpan.FromSeconds(2);
}
