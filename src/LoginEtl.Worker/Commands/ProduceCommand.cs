using System.Globalization;
using System.Text;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Sqs;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Commands;

/// <summary>
/// <c>login-etl produce FILE|-</c>: sends one message per line, the line as the body, to the configured queue.
/// Empty lines are skipped (SQS has no empty messages); a line over the SQS size limit is reported and not sent.
/// </summary>
static class ProduceCommand
{
    const int MaxBodyBytes = 256 * 1024;
    const int MaxBatchEntries = 10;
    const int ConcurrentBatches = 8;

    public static async Task<int> RunAsync(string path, string[] configurationArgs)
    {
        var builder = LoginEtlHost.CreateBuilder(configurationArgs);
        builder.AddSqs();
        using var host = builder.Build();

        StartupChecks.ValidateOptions<SqsOptions>(host.Services);
        var options = host.Services.GetRequiredService<IOptions<SqsOptions>>().Value;
        var sqs = host.Services.GetRequiredService<IAmazonSQS>();
        var queueUrl = await SqsQueues.ResolveUrlAsync(sqs, options.QueueName, "Sqs__QueueName", CancellationToken.None);

        using var input = path == "-" ? Console.In : OpenFile(path);
        var sent = 0L;
        var skipped = 0L;
        var failed = 0L;
        var inFlight = new List<Task<(int Sent, int Failed)>>();
        await foreach (var batch in ReadBatchesAsync(input, () => skipped++, line => { failed++; ReportTooLarge(line); }))
        {
            inFlight.Add(SendAsync(sqs, queueUrl, batch));
            if (inFlight.Count >= ConcurrentBatches)
            {
                var done = await Task.WhenAny(inFlight);
                inFlight.Remove(done);
                Count(await done);
            }
        }

        foreach (var task in inFlight)
            Count(await task);

        Console.WriteLine($"Sent {sent} message(s) to {options.QueueName}" +
            (skipped > 0 ? $"; skipped {skipped} empty line(s)" : "") +
            (failed > 0 ? $"; {failed} line(s) not sent" : ""));
        return failed > 0 ? 1 : 0;

        void Count((int Sent, int Failed) result)
        {
            sent += result.Sent;
            failed += result.Failed;
        }
    }

    static StreamReader OpenFile(string path)
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

    // Groups lines into SendMessageBatch requests: at most ten messages and 256 KiB of bodies each.
    static async IAsyncEnumerable<List<(long Line, string Body)>> ReadBatchesAsync(TextReader input, Action skip, Action<long> tooLarge)
    {
        var batch = new List<(long, string)>(MaxBatchEntries);
        var batchBytes = 0;
        var lineNumber = 0L;
        while (await input.ReadLineAsync() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                skip();
                continue;
            }

            var bytes = Encoding.UTF8.GetByteCount(line);
            if (bytes > MaxBodyBytes)
            {
                tooLarge(lineNumber);
                continue;
            }

            if (batch.Count == MaxBatchEntries || batchBytes + bytes > MaxBodyBytes)
            {
                yield return batch;
                batch = new List<(long, string)>(MaxBatchEntries);
                batchBytes = 0;
            }

            batch.Add((lineNumber, line));
            batchBytes += bytes;
        }

        if (batch.Count > 0)
            yield return batch;
    }

    static async Task<(int Sent, int Failed)> SendAsync(IAmazonSQS sqs, string queueUrl, List<(long Line, string Body)> batch)
    {
        var response = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest
        {
            QueueUrl = queueUrl,
            Entries = batch.Select(m => new SendMessageBatchRequestEntry
            {
                Id = m.Line.ToString(CultureInfo.InvariantCulture),
                MessageBody = m.Body,
            }).ToList(),
        });

        var failed = response.Failed ?? [];
        foreach (var entry in failed)
            Console.Error.WriteLine($"line {entry.Id}: not sent ({entry.Code}: {entry.Message})");

        return (response.Successful?.Count ?? 0, failed.Count);
    }

    static void ReportTooLarge(long line) =>
        Console.Error.WriteLine($"line {line}: longer than the SQS limit of {MaxBodyBytes} bytes, not sent");
}
