using System.CommandLine;
using System.Text;
using System.Text.Json;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Logins;
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

    readonly Option<string> _groupId = new("--group-id")
    {
        Description = "To a FIFO queue: the message group, a login field's name (the line's value of it; user_id by default) or a constant.",
        HelpName = "FIELD|GROUP",
    };

    readonly Option<string> _envelope = new Option<string>("--envelope")
    {
        Description = "Wrap each line as SNS (raw message delivery off) or EventBridge would deliver it, the time now.",
        HelpName = "sns|eventbridge",
    }.AcceptOnlyFromAmong(ProducedEnvelope.Sns, ProducedEnvelope.EventBridge);

    public ProduceCommand(string[] settings)
        : base("produce", "Send one message per line of FILE to Sqs__QueueName, the line as the body (empty lines are skipped).")
    {
        Arguments.Add(_file);
        Options.Add(_groupId);
        Options.Add(_envelope);
        _groupId.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not { Length: > 0 and <= 128 } group || !group.All(IsGroupIdCharacter))
                result.AddError("--group-id needs a field name or a group of 1 to 128 letters, digits or punctuation.");
        });
        SetAction(parsed => RunAsync(parsed.GetRequiredValue(_file), parsed.GetValue(_groupId),
            ProducedEnvelope.For(parsed.GetValue(_envelope), TimeProvider.System), settings));
    }

    static async Task<int> RunAsync(string path, string? groupId, Func<string, string> wrap, string[] configurationArgs)
    {
        using var host = SqsCommandHost.Create(configurationArgs);
        if (groupId is not null && !FifoMessages.IsFifo(host.Options.QueueName))
            throw new StartupException($"--group-id is for a FIFO queue, and {host.Options.QueueName} (Sqs__QueueName) is a standard queue");
        var queueUrl = await host.QueueUrlAsync();

        using var input = path == "-" ? Console.In : OpenFile(path);
        var lines = new LineCounts();
        var sent = 0L;
        SqsBatchSender.Result result;
        await using (new ConsoleProgress(Console.Error, () => $"produce: {Volatile.Read(ref sent)} message(s) sent so far"))
        {
            try
            {
                // The group is the line's, read before it is wrapped.
                // To a FIFO queue only: a standard queue's messages have no group, and no line is parsed for one.
                var groupOf = FifoMessages.IsFifo(host.Options.QueueName) ? GroupOf(groupId ?? "user_id") : null;
                result = await SqsBatchSender.SendAsync(host.Sqs, queueUrl, ReadAsync(input, lines).Select(m => (m.Id, wrap(m.Body), groupOf?.Invoke(m.Body))),
                    ConcurrentBatches, Console.Error, sentSoFar => Volatile.Write(ref sent, sentSoFar));
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

    // A field's name groups each line by its value of that field (a line without it, or not a JSON object, goes to the
    // group "unset"); anything else is the group of every line.
    static Func<string, string> GroupOf(string groupId)
    {
        if (!LoginFields.Names.Contains(groupId))
            return _ => groupId;
        return body =>
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                return document.RootElement.ValueKind == JsonValueKind.Object
                    && document.RootElement.TryGetProperty(groupId, out var value)
                    && value.ToString() is { Length: > 0 and <= 128 } group && group.All(IsGroupIdCharacter)
                        ? group
                        : "unset";
            }
            catch (JsonException)
            {
                return "unset";
            }
        };
    }

    // What SQS takes in a MessageGroupId: letters, digits and ASCII punctuation.
    static bool IsGroupIdCharacter(char c) => char.IsAsciiLetterOrDigit(c) || (char.IsAscii(c) && char.IsPunctuation(c)) || (char.IsAscii(c) && char.IsSymbol(c));

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
