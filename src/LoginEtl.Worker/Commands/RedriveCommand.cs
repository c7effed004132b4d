using System.CommandLine;
using System.Globalization;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Worker.Commands;

/// <summary>
/// <c>login-etl redrive [--kind KIND] [--max N]</c>: moves dead-lettered messages back to the main queue, for after a
/// fix; with --kind only those of one error kind (<c>max_receive_count</c> for those SQS moved itself), the others
/// left where they are. Each keeps its body, the producer's attributes and its identity (the id and send time of its
/// first delivery, signed, so that a message already stored is not stored again); the attributes of its
/// dead-lettering are dropped. A message leaves the dead-letter queue only once it is on the main queue, so an
/// interrupted redrive loses nothing, and a message left on both is still stored once. Of several copies of one
/// dead letter (one identity: a replica stopped between the dead-letter queue's answer and its delete), one is moved
/// and the others are deleted. It holds no body beyond the batch at hand, and one identity per message moved.
/// </summary>
sealed class RedriveCommand : Command
{
    // SQS's limit per message; the identity takes one.
    const int MaxMessageAttributes = 10;

    readonly Option<string> _kind = new("--kind")
    {
        Description = "Only the messages of this error kind (max_receive_count for those SQS moved itself); the others stay.",
        HelpName = "KIND",
    };

    readonly Option<long?> _max = new("--max")
    {
        Description = "At most N messages.",
        HelpName = "N",
        CustomParser = result => NumberArgument.Parse(result, "--max", 1L, long.MaxValue, "a whole number of at least 1"),
    };

    public RedriveCommand(string[] settings)
        : base("redrive", "Move dead-lettered messages back to Sqs__QueueName, keeping their identity (needs the masking settings).")
    {
        Options.Add(_kind);
        Options.Add(_max);
        _kind.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not { Length: > 0 })
                result.AddError("--kind needs an error kind, e.g. --kind invalid_json.");
        });
        SetAction(parsed => RunAsync(parsed.GetValue(_kind), parsed.GetValue(_max) ?? long.MaxValue, settings));
    }

    static async Task<int> RunAsync(string? kind, long max, string[] configurationArgs)
    {
        using var host = SqsCommandHost.Create(configurationArgs, withIdentities: true);
        var (options, sqs) = (host.Options, host.Sqs);
        SqsQueues.CheckKinds(options.QueueName, options.DeadLetterQueueName);
        var queueUrl = await host.QueueUrlAsync();
        var deadLetters = new DeadLetterBrowser(sqs, await host.DeadLetterQueueUrlAsync());

        var counts = new Counts();
        var progress = new ConsoleProgress(Console.Error, () => $"redrive: {counts} so far");
        try
        {
            var moved = new HashSet<InboxKey>();
            await foreach (var batch in deadLetters.ReceiveAllAsync())
            {
                var chosen = batch.Where(m => kind is null || DeadLetterBrowser.KindOf(m) == kind).Take((int)Math.Min(10, max - counts.Moved)).ToList();
                Interlocked.Add(ref counts.Skipped, batch.Count - chosen.Count);
                if (chosen.Count > 0)
                    await MoveAsync(sqs, queueUrl, deadLetters, host.Identities, chosen, moved, counts);

                if (counts.Moved >= max)
                    break;
            }
        }
        catch (Exception ex) when (SqsFailures.IsTransient(ex))
        {
            throw new StartupException($"redrive stopped after moving {counts.Moved} message(s): SQS failed ({ex.Message}); run it again to move the rest");
        }
        finally
        {
            await progress.DisposeAsync();
            await ReleaseAsync(deadLetters);
        }

        Console.WriteLine($"Moved {counts.Moved} message(s) from {options.DeadLetterQueueName} to {options.QueueName}" +
            (kind is null ? "" : $" (kind {kind}; {counts.Skipped} of other kinds left)") +
            (counts.Copies > 0 ? $"; {counts.Copies} more cop{(counts.Copies == 1 ? "y" : "ies")} of messages moved deleted" : "") +
            (counts.Failed > 0 ? $"; {counts.Failed} could not be moved and stay in {options.DeadLetterQueueName}" : ""));
        if (counts.Unverified > 0)
            await Console.Error.WriteLineAsync($"redrive: {counts.Unverified} message(s) carried an identity that does not verify under the configured keys " +
                "(a retired key no longer in Masking__RetiredKeys?): they were moved as new messages");
        return counts.Failed > 0 ? 1 : 0;
    }

    static async Task MoveAsync(IAmazonSQS sqs, string queueUrl, DeadLetterBrowser deadLetters, MessageIdentity identities,
        List<Message> batch, HashSet<InboxKey> moved, Counts counts)
    {
        var unverified = 0;
        var identified = batch.Select(m => (Message: m, Identity: IdentityOf(m, identities, ref unverified))).ToList();
        // A copy of a message moved already, in this batch or an earlier one, only leaves the dead-letter queue.
        var copies = identified.Where((m, i) => moved.Contains(m.Identity) || identified.FindIndex(o => o.Identity == m.Identity) < i)
            .Select(m => m.Message).ToList();
        var messages = identified.Where(m => !copies.Contains(m.Message)).ToList();
        if (copies.Count > 0)
            await DeleteCopiesAsync(sqs, deadLetters, copies, counts);
        if (messages.Count == 0)
            return;

        var sent = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest
        {
            QueueUrl = queueUrl,
            Entries = messages.Select((m, i) =>
            {
                var entry = new SendMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.Message.Body)
                {
                    MessageAttributes = AttributesFor(m.Message, m.Identity, identities),
                };
                // Into a FIFO queue with the group it came from: a group's dead letters go back in the order they left.
                return FifoMessages.IsFifo(queueUrl) ? entry.ForFifo(m.Message, m.Identity) : entry;
            }).ToList(),
        });
        Interlocked.Add(ref counts.Unverified, unverified);
        foreach (var failure in sent.Failed ?? [])
            await Console.Error.WriteLineAsync($"message {messages[int.Parse(failure.Id, CultureInfo.InvariantCulture)].Message.MessageId}: not moved ({failure.Code}: {failure.Message})");

        var successful = sent.Successful ?? [];
        Interlocked.Add(ref counts.Failed, messages.Count - successful.Count);
        if (successful.Count == 0)
            return;

        // Counted as moved once on the main queue: the copy left in the dead-letter queue, if any, is stored once whichever comes first.
        Interlocked.Add(ref counts.Moved, successful.Count);
        foreach (var entry in successful)
            moved.Add(messages[int.Parse(entry.Id, CultureInfo.InvariantCulture)].Identity);
        var deleted = await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
        {
            QueueUrl = deadLetters.QueueUrl,
            Entries = successful.Select(s => new DeleteMessageBatchRequestEntry(s.Id, messages[int.Parse(s.Id, CultureInfo.InvariantCulture)].Message.ReceiptHandle)).ToList(),
        });
        foreach (var entry in deleted.Successful ?? [])
            deadLetters.Taken(messages[int.Parse(entry.Id, CultureInfo.InvariantCulture)].Message);
        foreach (var failure in deleted.Failed ?? [])
            await Console.Error.WriteLineAsync($"message {messages[int.Parse(failure.Id, CultureInfo.InvariantCulture)].Message.MessageId}: sent, but still in the dead-letter queue ({failure.Code}); it is stored once whichever copy comes first");
    }

    static async Task DeleteCopiesAsync(IAmazonSQS sqs, DeadLetterBrowser deadLetters, List<Message> copies, Counts counts)
    {
        var deleted = await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
        {
            QueueUrl = deadLetters.QueueUrl,
            Entries = copies.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList(),
        });
        foreach (var entry in deleted.Successful ?? [])
            deadLetters.Taken(copies[int.Parse(entry.Id, CultureInfo.InvariantCulture)]);
        Interlocked.Add(ref counts.Copies, deleted.Successful?.Count ?? 0);
    }

    // The identity the message came with, verified, or else (a message SQS moved itself keeps its id and send time) its own.
    static InboxKey IdentityOf(Message message, MessageIdentity identities, ref int unverified)
    {
        var identity = identities.Of(message, SqsMessages.SentAtOf(message), out var forged);
        if (forged)
            unverified++;
        return identity;
    }

    // The producer's own attributes and the message's identity.
    static Dictionary<string, MessageAttributeValue> AttributesFor(Message message, InboxKey identity, MessageIdentity identities)
    {
        var attributes = (message.MessageAttributes ?? [])
            .Where(a => !a.Key.StartsWith(DeadLetterAttributes.Prefix, StringComparison.Ordinal))
            .OrderBy(a => a.Key, StringComparer.Ordinal)
            .Take(MaxMessageAttributes - 1)
            .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        attributes[MessageIdentity.Attribute] = identities.AttributeFor(identity, message.Body);
        return attributes;
    }

    static async Task ReleaseAsync(DeadLetterBrowser deadLetters)
    {
        try
        {
            await deadLetters.ReleaseAsync();
        }
        catch (Exception ex) when (SqsFailures.IsTransient(ex))
        {
            await Console.Error.WriteLineAsync($"redrive: the dead letters left are visible again within {DeadLetterBrowser.Hold.TotalMinutes:F0} minutes ({ex.Message})");
        }
    }

    // Written by the redrive, read by its progress line.
    sealed class Counts
    {
        public long Moved;
        public long Failed;
        public long Skipped;
        public long Unverified;
        public long Copies;

        public override string ToString() =>
            $"{Interlocked.Read(ref Moved)} moved, {Interlocked.Read(ref Failed)} failed, {Interlocked.Read(ref Skipped)} left";
    }
}
