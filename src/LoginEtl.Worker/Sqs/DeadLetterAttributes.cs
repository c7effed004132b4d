namespace LoginEtl.Worker.Sqs;

/// <summary>
/// The attributes a dead letter carries beside its untouched body. All of them but the identity
/// (<see cref="MessageIdentity.Attribute"/>) describe one dead-lettering, and a redrive drops them.
/// </summary>
public static class DeadLetterAttributes
{
    public const string Prefix = "loginetl.";
    public const string ErrorKind = "loginetl.error-kind";
    public const string ErrorReason = "loginetl.error-reason";
    public const string OriginalMessageId = "loginetl.original-message-id";
    public const string SourceQueue = "loginetl.source-queue";

    /// <summary>
    /// The kind of a message that SQS moved to the dead-letter queue itself, after maxReceiveCount receives: it
    /// carries no error kind of ours.
    /// </summary>
    public const string ReceiveLimitKind = "max_receive_count";
}
