using System.ComponentModel.DataAnnotations;
using LoginEtl.Worker.Logins;

namespace LoginEtl.Worker.Sqs;

public sealed class SqsOptions
{
    public const string Section = "Sqs";

    [Required(AllowEmptyStrings = false, ErrorMessage = "Sqs__QueueName is empty")]
    public string QueueName { get; set; } = "login-queue";

    [Required(AllowEmptyStrings = false, ErrorMessage = "Sqs__DeadLetterQueueName is empty")]
    public string DeadLetterQueueName { get; set; } = "login-queue-dlq";

    /// <summary>An explicit endpoint (LocalStack, an emulator); otherwise the AWS SDK resolves it (AWS_ENDPOINT_URL_SQS, AWS_REGION).</summary>
    [Url(ErrorMessage = "Sqs__ServiceUrl is not a URL")]
    public string? ServiceUrl { get; set; }

    /// <summary>
    /// Concurrent ReceiveMessage loops. A poller hands what it received to processing and receives again, so the
    /// queue is asked for messages while earlier ones are being written. The default is the decision log's
    /// (docs/performance.md).
    /// </summary>
    [Range(1, 256, ErrorMessage = "Sqs__Pollers must be from 1 to 256")]
    public int Pollers { get; set; } = 32;

    /// <summary>
    /// Most messages received and not yet settled, across all pollers: this bounds memory and the work a stop
    /// has to finish. Counted in receives of up to 10 messages, so it is a multiple of 10; a poller waits for
    /// room before it receives.
    /// </summary>
    [Range(10, 10_000, ErrorMessage = "Sqs__MaxInFlight must be from 10 to 10000")]
    [MultipleOfTen(ErrorMessage = "Sqs__MaxInFlight must be a multiple of 10")]
    public int MaxInFlight { get; set; } = 320;

    /// <summary>
    /// Largest body accepted, in UTF-8 bytes as SQS counts them; a longer one is dead-lettered as too_large before
    /// it is decoded or parsed. A login event is about 200 bytes, so the default leaves room for any real one
    /// while a hostile producer's 256 KiB body costs no copy and no parse.
    /// </summary>
    [Range(1_024, 1_048_576, ErrorMessage = "Sqs__MaxBodyBytes must be from 1024 to 1048576")]
    public int MaxBodyBytes { get; set; } = 16 * 1024;

    /// <summary>Long-polling wait of one ReceiveMessage call.</summary>
    [Range(0, 20, ErrorMessage = "Sqs__WaitTimeSeconds must be from 0 to 20")]
    public int WaitTimeSeconds { get; set; } = 20;

    /// <summary>
    /// Renew the visibility of in-flight messages every half visibility timeout. Turn it off only where the queue's
    /// visibility timeout is known to outlast any batch, or to watch redelivery happen.
    /// </summary>
    public bool VisibilityHeartbeat { get; set; } = true;

    /// <summary>Visibility timeout given to a message after a transient failure, doubled on each further receive.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "12:00:00", ErrorMessage = "Sqs__RedeliveryDelay must be from 0 to 12 hours")]
    public TimeSpan RedeliveryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest redelivery delay the doubling may reach.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "12:00:00", ErrorMessage = "Sqs__MaxRedeliveryDelay must be from 0 to 12 hours")]
    public TimeSpan MaxRedeliveryDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The shapes of body read: <c>auto</c> (plain logins, SNS notifications and EventBridge events, told apart per
    /// message), <c>none</c> (every body read as a plain login, as if no envelope existed), or a comma list of
    /// <c>plain</c>, <c>sns</c>, <c>eventbridge</c>; a body of a shape left out is dead-lettered as <c>envelope</c>.
    /// </summary>
    [EnvelopeList(ErrorMessage = "Sqs__Envelopes must be auto, none, or a comma list of plain, sns, eventbridge")]
    public string Envelopes
    {
        get;
        set
        {
            field = value;
            AcceptedShapes = BodyShapesSetting.TryParse(value, out var shapes) ? shapes : BodyShapes.Auto;
        }
    } = "auto";

    /// <summary><see cref="Envelopes"/> as read once, for every message.</summary>
    public BodyShapes AcceptedShapes { get; private set; } = BodyShapes.Auto;

    public TimeSpan RedeliveryDelayFor(int receiveCount)
    {
        // In ticks as a double, so that doubling a long delay many times caps instead of overflowing.
        var doublings = Math.Clamp(receiveCount - 1, 0, 62);
        var ticks = Math.Min(RedeliveryDelay.Ticks * Math.Pow(2, doublings), MaxRedeliveryDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>How many receives may be in flight at once.</summary>
    public int ReceivesInFlight => MaxInFlight / 10;

    [AttributeUsage(AttributeTargets.Property)]
    sealed class MultipleOfTenAttribute : ValidationAttribute
    {
        public override bool IsValid(object? value) => value is int number && number % 10 == 0;
    }

    [AttributeUsage(AttributeTargets.Property)]
    sealed class EnvelopeListAttribute : ValidationAttribute
    {
        public override bool IsValid(object? value) => value is null or string && BodyShapesSetting.TryParse((string?)value, out _);
    }
}
