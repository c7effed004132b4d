using System.Diagnostics;
using System.Globalization;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Worker.Commands;

/// <summary>
/// <c>login-etl redrive [--kind KIND] [--max N]</c>: moves dead-lettered messages back to the main queue, for after a
/// fix; with --kind only those of one error kind (<c>max_receive_count</c> for those SQS moved itself), the others
/// left where they are. Each keeps its body, the producer's attributes and its identity (the id and send time of its
/// first delivery, signed, so that a message already stored is not stored again); the attributes of its
/// dead-lettering are dropped. A message leaves the dead-letter queue only once it is on the main queue, so an
/// interrupted redrive loses nothing, and a message left on both is still stored once.
/// </summary>
static class RedriveCommand
{
    // SQS's limit per message; the identity takes one.
    const int MaxMessageAttributes = 10;
    static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(string[] args)
    {
        var max = long.MaxValue;
        string? kind = null;
        var configurationArgs = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--max" && i + 1 < args.Length && long.TryParse(args[i + 1], CultureInfo.InvariantCulture, out max) && max > 0)
                i++;
            else if (args[i] == "--kind" && i + 1 < args.Length && args[i + 1].Length > 0 && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                kind = args[++i];
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && args[i].Contains('=', StringComparison.Ordinal))
                configurationArgs.Add(args[i]);
            else
                throw new StartupException($"redrive: unexpected argument '{args[i]}' (--kind KIND, --max N)");
        }

        using var host = SqsCommandHost.Create([.. configurationArgs], withIdentities: true);
        var (options, sqs) = (host.Options, host.Sqs);
        var queueUrl = await host.QueueUrlAsync();
        var deadLetters = new DeadLetterBrowser(sqs, await host.DeadLetterQueueUrlAsync());

        long moved = 0, failed = 0, skipped = 0, unverified = 0;
        var progress = Stopwatch.StartNew();
        try
        {
            await foreach (var batch in deadLetters.ReceiveAllAsync())
            {
                var chosen = batch.Where(m => kind is null || DeadLetterBrowser.KindOf(m) == kind).Take((int)Math.Min(10, max - moved)).ToList();
                skipped += batch.Count - chosen.Count;
                if (chosen.Count > 0)
                {
                    var (ok, notMoved, notVerified) = await MoveAsync(sqs, queueUrl, deadLetters, host.Identities, chosen);
                    (moved, failed, unverified) = (moved + ok, failed + notMoved, unverified + notVerified);
                }

                if (progress.Elapsed >= ProgressInterval)
                {
                    await Console.Error.WriteLineAsync($"redrive: {moved} moved, {failed} failed, {skipped} left so far");
                    progress.Restart();
                }

                if (moved >= max)
                    break;
            }
        }
        catch (Exception ex) when (SqsFailures.IsTransient(ex))
        {
            throw new StartupException($"redrive stopped after moving {moved} message(s): SQS failed ({ex.Message}); run it again to move the rest");
        }
        finally
        {
            await ReleaseAsync(deadLetters);
        }

        Console.WriteLine($"Moved {moved} message(s) from {options.DeadLetterQueueName} to {options.QueueName}" +
            (kind is null ? "" : $" (kind {kind}; {skipped} of other kinds left)") +
            (failed > 0 ? $"; {failed} could not be moved and stay in {options.DeadLetterQueueName}" : ""));
        if (unverified > 0)
            await Console.Error.WriteLineAsync($"redrive: {unverified} message(s) carried an identity that does not verify under the configured keys " +
                "(a retired key no longer in Masking__RetiredKeys?): they were moved as new messages");
        return failed > 0 ? 1 : 0;
    }

    static async Task<(int Moved, int Failed, int Unverified)> MoveAsync(IAmazonSQS sqs, string queueUrl, DeadLetterBrowser deadLetters,
        MessageIdentity identities, List<Message> messages)
    {
        var unverified = 0;
        var sent = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest
        {
            QueueUrl = queueUrl,
            Entries = messages.Select((m, i) => new SendMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.Body)
            {
                MessageAttributes = AttributesFor(m, identities, ref unverified),
            }).ToList(),
        });
        foreach (var failure in sent.Failed ?? [])
            await Console.Error.WriteLineAsync($"message {messages[int.Parse(failure.Id, CultureInfo.InvariantCulture)].MessageId}: not moved ({failure.Code}: {failure.Message})");

        var successful = sent.Successful ?? [];
        if (successful.Count == 0)
            return (0, messages.Count, unverified);

        var deleted = await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
        {
            QueueUrl = deadLetters.QueueUrl,
            Entries = successful.Select(s => new DeleteMessageBatchRequestEntry(s.Id, messages[int.Parse(s.Id, CultureInfo.InvariantCulture)].ReceiptHandle)).ToList(),
        });
        foreach (var entry in deleted.Successful ?? [])
            deadLetters.Taken(messages[int.Parse(entry.Id, CultureInfo.InvariantCulture)]);
        foreach (var failure in deleted.Failed ?? [])
            await Console.Error.WriteLineAsync($"message {messages[int.Parse(failure.Id, CultureInfo.InvariantCulture)].MessageId}: sent, but still in the dead-letter queue ({failure.Code}); it is stored once whichever copy comes first");

        return (successful.Count, messages.Count - successful.Count, unverified);
    }

    // The producer's own attributes and the message's identity: the one it came with, verified, or else (a message
    // SQS moved itself keeps its id and send time) its own.
    static Dictionary<string, MessageAttributeValue> AttributesFor(Message message, MessageIdentity identities, ref int unverified)
    {
        var identity = identities.Of(message, SqsMessages.SentAtOf(message), out var forged);
        if (forged)
            unverified++;
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
}
