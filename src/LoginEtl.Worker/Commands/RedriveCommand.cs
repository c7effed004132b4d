using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Hosting;

namespace LoginEtl.Worker.Commands;

/// <summary>
/// <c>login-etl redrive [--max N]</c>: moves dead-lettered messages back to the main queue, for after a fix.
/// Each keeps its body and its own attributes; the <c>loginetl.*</c> attributes of its dead-lettering are
/// dropped (a new failure writes new ones). A message leaves the dead-letter queue only once it is on the
/// main queue, so an interrupted redrive loses nothing (at worst a message is on both).
/// </summary>
static class RedriveCommand
{
    const string OwnAttributePrefix = "loginetl.";

    public static async Task<int> RunAsync(string[] args)
    {
        var max = long.MaxValue;
        var configurationArgs = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--max" && i + 1 < args.Length && long.TryParse(args[i + 1], CultureInfo.InvariantCulture, out max) && max > 0)
                i++;
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && args[i].Contains('=', StringComparison.Ordinal))
                configurationArgs.Add(args[i]);
            else
                throw new StartupException($"redrive: unexpected argument '{args[i]}' (--max N)");
        }

        using var host = SqsCommandHost.Create([.. configurationArgs]);
        var (options, sqs) = (host.Options, host.Sqs);
        var queueUrl = await host.QueueUrlAsync();
        var deadLetterUrl = await host.DeadLetterQueueUrlAsync();

        var moved = 0L;
        while (moved < max)
        {
            var response = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = deadLetterUrl,
                MaxNumberOfMessages = (int)Math.Min(10, max - moved),
                WaitTimeSeconds = 1,
                VisibilityTimeout = 60,
                MessageAttributeNames = ["All"],
            });
            if (response.Messages is not { Count: > 0 } messages)
                break;

            moved += await MoveAsync(sqs, queueUrl, deadLetterUrl, messages);
        }

        Console.WriteLine($"Moved {moved} message(s) from {options.DeadLetterQueueName} to {options.QueueName}");
        return 0;
    }

    static async Task<int> MoveAsync(IAmazonSQS sqs, string queueUrl, string deadLetterUrl, List<Message> messages)
    {
        var sent = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest
        {
            QueueUrl = queueUrl,
            Entries = messages.Select((m, i) => new SendMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.Body)
            {
                MessageAttributes = (m.MessageAttributes ?? [])
                    .Where(a => !a.Key.StartsWith(OwnAttributePrefix, StringComparison.Ordinal))
                    .ToDictionary(a => a.Key, a => a.Value),
            }).ToList(),
        });
        foreach (var failed in sent.Failed ?? [])
            await Console.Error.WriteLineAsync($"message {messages[int.Parse(failed.Id, CultureInfo.InvariantCulture)].MessageId}: not moved ({failed.Code}: {failed.Message})");

        var successful = sent.Successful ?? [];
        if (successful.Count > 0)
        {
            await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
            {
                QueueUrl = deadLetterUrl,
                Entries = successful.Select(s => new DeleteMessageBatchRequestEntry(s.Id, messages[int.Parse(s.Id, CultureInfo.InvariantCulture)].ReceiptHandle)).ToList(),
            });
        }

        return successful.Count;
    }
}
