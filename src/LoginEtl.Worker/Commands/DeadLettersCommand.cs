using System.CommandLine;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Worker.Commands;

/// <summary>
/// <c>login-etl dead-letters</c>: what the dead-letter queue holds, without consuming it: counts by error kind (with
/// the oldest of each and a few message ids, the ids the service logged them under) and by age, and how many expire
/// within a day. Never a body. Copies of one dead letter (one identity) count once. Each message is received once and
/// made visible again at the end, which adds one to its receive count; only what the summary needs of it is kept.
/// </summary>
sealed class DeadLettersCommand : Command
{
    const int IdsPerKind = 3;
    static readonly (string Label, TimeSpan Under)[] Ages =
    [
        ("under 1 hour", TimeSpan.FromHours(1)),
        ("1 hour to 1 day", TimeSpan.FromDays(1)),
        ("1 to 7 days", TimeSpan.FromDays(7)),
        ("7 days or more", TimeSpan.MaxValue),
    ];

    public DeadLettersCommand(string[] settings)
        : base("dead-letters", "Summarise Sqs__DeadLetterQueueName without consuming it: counts by error kind and by age.")
    {
        SetAction(_ => RunAsync(settings));
    }

    static async Task<int> RunAsync(string[] configurationArgs)
    {
        using var host = SqsCommandHost.Create(configurationArgs);
        var deadLetterUrl = await host.DeadLetterQueueUrlAsync();
        var retention = await RetentionAsync(host, deadLetterUrl);
        var browser = new DeadLetterBrowser(host.Sqs, deadLetterUrl);
        var seen = new Dictionary<string, DeadLetter>(StringComparer.Ordinal);
        var read = 0;
        var progress = new ConsoleProgress(Console.Error, () => $"dead-letters: {Volatile.Read(ref read)} read so far");
        try
        {
            await foreach (var batch in browser.ReceiveAllAsync())
            {
                foreach (var message in batch)
                {
                    var letter = new DeadLetter(DeadLetterBrowser.KindOf(message), DeadLetterBrowser.OriginalIdOf(message), SqsMessages.SentAtOf(message));
                    // Of two copies, the older is the one SQS deletes first: the age of the dead letter.
                    if (!seen.TryGetValue(DeadLetterBrowser.IdentityOf(message), out var copy) || copy.SentAt > letter.SentAt)
                        seen[DeadLetterBrowser.IdentityOf(message)] = letter;
                    Interlocked.Increment(ref read);
                }

            }
        }
        catch (Exception ex) when (SqsFailures.IsTransient(ex))
        {
            throw new StartupException($"dead-letters: SQS failed after reading {read} message(s): {ex.Message}");
        }
        finally
        {
            await progress.DisposeAsync();
            await browser.ReleaseAsync();
        }

        Print(host.Options.DeadLetterQueueName, retention, [.. seen.Values], read - seen.Count, DateTimeOffset.UtcNow);
        return 0;
    }

    static async Task<TimeSpan> RetentionAsync(SqsCommandHost host, string url)
    {
        var attributes = await host.Sqs.GetQueueAttributesAsync(url, ["MessageRetentionPeriod"]);
        return TimeSpan.FromSeconds(attributes.MessageRetentionPeriod is > 0 ? attributes.MessageRetentionPeriod : 4 * 86_400);
    }

    // A dead letter is deleted by SQS at its SentTimestamp plus the queue's retention: for one SQS moved itself that is
    // its first send, for one the service sent, the moment it was dead-lettered.
    static void Print(string queue, TimeSpan retention, List<DeadLetter> letters, int copies, DateTimeOffset now)
    {
        var ages = letters.Select(l => (Letter: l, Age: now - l.SentAt)).ToList();
        var expiringSoon = ages.Count(a => retention - a.Age < TimeSpan.FromDays(1));
        Console.WriteLine($"{queue}: {letters.Count} dead letter(s), kept {retention.TotalDays:0.#} days from their send" +
            (letters.Count > 0 ? $"; {expiringSoon} expire within a day" : "") +
            (copies > 0 ? $" ({copies} more cop{(copies == 1 ? "y" : "ies")} of the same, counted once; `login-etl redrive` moves one)" : ""));
        if (letters.Count == 0)
            return;

        Console.WriteLine();
        Console.WriteLine($"{"error kind",-24}{"count",8}  {"oldest",-10}message ids (first delivery)");
        foreach (var kind in ages.GroupBy(a => a.Letter.Kind).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            var ids = kind.OrderByDescending(a => a.Age).Take(IdsPerKind).Select(a => a.Letter.OriginalId);
            Console.WriteLine($"{kind.Key,-24}{kind.Count(),8}  {Format(kind.Max(a => a.Age)),-10}{string.Join(", ", ids)}{(kind.Count() > IdsPerKind ? ", ..." : "")}");
        }

        Console.WriteLine();
        Console.WriteLine($"{"age",-24}{"count",8}");
        var from = TimeSpan.MinValue;
        foreach (var (label, under) in Ages)
        {
            Console.WriteLine($"{label,-24}{ages.Count(a => a.Age >= from && a.Age < under),8}");
            from = under;
        }
    }

    sealed record DeadLetter(string Kind, string OriginalId, DateTimeOffset SentAt);

    static string Format(TimeSpan age) =>
        age.TotalDays >= 1 ? $"{age.TotalDays:0.#} d" : age.TotalHours >= 1 ? $"{age.TotalHours:0.#} h" : $"{Math.Max(0, age.TotalMinutes):0} min";
}
