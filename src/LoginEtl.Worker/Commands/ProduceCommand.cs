using System.CommandLine;
using System.Text;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Worker.Commands;

/// <summary>
/// <c>login-etl produce FILE|-</c>: sends one message per line, the line as the body, to the configured queue.
/// Empty lines are skipped (SQS has no empty messages); a line over the SQS size limit is reported and not sent.
/// </summary>
sealed class ProduceCommand : Command
{
    const int ConcurrentBatches = 8;

    readonly Argument<string> _file = new("FILE") { Description = "The file to send, one message per line; - for standard input." };

    readonly Option<string> _envelope = new Option<string>("--envelope")
    {
        Description = "Wrap each line as SNS (raw message delivery off) or EventBridge would deliver it, the time now.",
        HelpName = "sns|eventbridge",
    }.AcceptOnlyFromAmong(ProducedEnvelope.Sns, ProducedEnvelope.EventBridge);

    public ProduceCommand(string[] settings)
        : base("produce", "Send one message per line of FILE to Sqs__QueueName, the line as the body (empty lines are skipped).")
    {
        Arguments.Add(_file);
        Options.Add(_envelope);
        SetAction(parsed => RunAsync(parsed.GetRequiredValue(_file), ProducedEnvelope.For(parsed.GetValue(_envelope), TimeProvider.System), settings));
    }

    static async Task<int> RunAsync(string path, Func<string, string> wrap, string[] configurationArgs)
    {
        using var host = SqsCommandHost.Create(configurationArgs);
        var queueUrl = await host.QueueUrlAsync();

        using var input = path == "-" ? Console.In : OpenFile(path);
        var lines = new LineCounts();
        var sent = 0L;
        SqsBatchSender.Result result;
        await using (new ConsoleProgress(Console.Error, () => $"produce: {Volatile.Read(ref sent)} message(s) sent so far"))
        {
            try
            {
                result = await SqsBatchSender.SendAsync(host.Sqs, queueUrl, ReadAsync(input, lines).Select(m => (m.Id, wrap(m.Body))), ConcurrentBatches, Console.Error,
                    sentSoFar => Volatile.Write(ref sent, sentSoFar));
            }
            catch (Exception ex) when (SqsFailures.IsTransient(ex))
            {
                throw new StartupException($"produce stopped after sending {Volatile.Read(ref sent)} message(s): SQS failed ({ex.Message})", ex);
            }
        }

        Console.WriteLine($"Sent {result.Sent} message(s) to {host.Options.QueueName}" +
            (lines.Empty > 0 ? $"; skipped {lines.Empty} empty line(s)" : "") +
            (result.Failed + lines.TooLarge > 0 ? $"; {result.Failed + lines.TooLarge} line(s) not sent" : ""));
        return result.Failed + lines.TooLarge > 0 ? 1 : 0;
    }

    static TextReader OpenFile(string path)
    {
        try
        {
            return new StreamReader(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"cannot read {path}: {ex.Message}");
        }
    }

    static async IAsyncEnumerable<(long Id, string Body)> ReadAsync(TextReader input, LineCounts counts)
    {
        var lineNumber = 0L;
        while (await input.ReadLineAsync() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                counts.Empty++;
            }
            else if (Encoding.UTF8.GetByteCount(line) > SqsBatchSender.MaxBodyBytes)
            {
                counts.TooLarge++;
                await Console.Error.WriteLineAsync($"line {lineNumber}: longer than the SQS limit of {SqsBatchSender.MaxBodyBytes} bytes, not sent");
            }
            else
            {
                yield return (lineNumber, line);
            }
        }
    }

    sealed class LineCounts
    {
        public long Empty { get; set; }
        public long TooLarge { get; set; }
    }
}
