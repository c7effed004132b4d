using System.Globalization;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// Keeps a received batch invisible while it is being processed: every half visibility timeout, the timeout of
/// the whole batch is renewed, so a slow database never lets another replica take the same messages.
/// Stopped before the batch is settled, so it never overrides a delete or a redelivery delay.
/// </summary>
sealed partial class VisibilityHeartbeat : IAsyncDisposable
{
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    VisibilityHeartbeat(IAmazonSQS sqs, string queueUrl, IReadOnlyList<Message> messages, TimeSpan visibilityTimeout, ILogger logger)
    {
        _loop = RunAsync(sqs, queueUrl, messages, visibilityTimeout, logger, _stop.Token);
    }

    public static VisibilityHeartbeat Start(IAmazonSQS sqs, string queueUrl, IReadOnlyList<Message> messages, TimeSpan visibilityTimeout, ILogger logger) =>
        new(sqs, queueUrl, messages, visibilityTimeout, logger);

    static async Task RunAsync(IAmazonSQS sqs, string queueUrl, IReadOnlyList<Message> messages, TimeSpan visibilityTimeout,
        ILogger logger, CancellationToken stop)
    {
        var interval = visibilityTimeout / 2 > TimeSpan.FromSeconds(1) ? visibilityTimeout / 2 : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(visibilityTimeout.TotalSeconds));
        while (true)
        {
            try
            {
                await Task.Delay(interval, stop);
                var response = await sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest
                {
                    QueueUrl = queueUrl,
                    Entries = messages.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)
                    {
                        VisibilityTimeout = seconds,
                    }).ToList(),
                }, stop);
                if (response.Failed is { Count: > 0 } failed)
                    LogExtendFailed(logger, failed.Count, failed[0].Code);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (SqsFailures.IsTransient(ex))
            {
                LogExtendFailed(logger, messages.Count, ex.GetType().Name);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "Could not extend the visibility of {Count} in-flight messages ({Reason})")]
    static partial void LogExtendFailed(ILogger logger, int count, string reason);
}
