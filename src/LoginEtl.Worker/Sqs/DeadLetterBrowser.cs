using System.Globalization;
using System.Runtime.CompilerServices;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// Goes through a dead-letter queue without consuming it (SQS has no peek): each message is received once and kept
/// invisible while the scan goes on, so the next receive brings others; whatever the caller did not take is made
/// visible again when the browser is released. A scan interrupted before that loses nothing either: the messages
/// come back once the hold runs out. Only the receipt of each message is kept, never its body, so a scan of a
/// dead-letter queue full of the largest bodies holds a few hundred bytes per message.
/// </summary>
public sealed class DeadLetterBrowser(IAmazonSQS sqs, string queueUrl)
{
    /// <summary>How long a message seen stays invisible: longer than a scan of a large dead-letter queue takes.</summary>
    public static readonly TimeSpan Hold = TimeSpan.FromMinutes(15);

    // Message id to its newest receipt handle.
    readonly Dictionary<string, string> _held = new(StringComparer.Ordinal);

    public string QueueUrl => queueUrl;

    /// <summary>Every message of the queue, in batches of up to ten, each once.</summary>
    public async IAsyncEnumerable<List<Message>> ReceiveAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var response = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = queueUrl,
                MaxNumberOfMessages = 10,
                WaitTimeSeconds = 1,
                VisibilityTimeout = (int)Hold.TotalSeconds,
                MessageAttributeNames = ["All"],
                MessageSystemAttributeNames = SqsMessages.AttributeNames,
            }, cancellationToken);
            if (response.Messages is not { Count: > 0 } messages)
                yield break;

            // A message seen before comes back only if its hold ran out: keep its newest receipt, report it once.
            var fresh = messages.Where(m => !_held.ContainsKey(m.MessageId)).ToList();
            foreach (var message in messages)
                _held[message.MessageId] = message.ReceiptHandle;
            if (fresh.Count > 0)
                yield return fresh;
        }
    }

    /// <summary>The caller deleted <paramref name="message"/> from the queue: it is not released.</summary>
    public void Taken(Message message) => _held.Remove(message.MessageId);

    /// <summary>Makes every message still held visible again at once.</summary>
    public async Task ReleaseAsync()
    {
        foreach (var chunk in _held.Values.Chunk(10))
        {
            await sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest
            {
                QueueUrl = queueUrl,
                Entries = chunk.Select((handle, i) => new ChangeMessageVisibilityBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), handle)
                {
                    VisibilityTimeout = 0,
                }).ToList(),
            });
        }

        _held.Clear();
    }

    /// <summary>The error kind a dead letter carries, or <see cref="DeadLetterAttributes.ReceiveLimitKind"/> for one SQS moved itself.</summary>
    public static string KindOf(Message message) =>
        message.MessageAttributes?.GetValueOrDefault(DeadLetterAttributes.ErrorKind)?.StringValue ?? DeadLetterAttributes.ReceiveLimitKind;

    /// <summary>
    /// What makes two dead letters one: the identity the service dead-lettered it with (two copies when a replica
    /// stopped between the dead-letter queue's answer and the delete), or else its id (SQS keeps it when it moves a
    /// message itself).
    /// </summary>
    public static string IdentityOf(Message message) =>
        message.MessageAttributes?.GetValueOrDefault(MessageIdentity.Attribute)?.StringValue ?? OriginalIdOf(message);

    /// <summary>The id the service logged the message under: its first delivery's.</summary>
    public static string OriginalIdOf(Message message) =>
        message.MessageAttributes?.GetValueOrDefault(DeadLetterAttributes.OriginalMessageId)?.StringValue ?? message.MessageId;
}
