using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Telemetry;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// Polls the depth of the queue and of its dead-letter queue for the <c>loginetl.queue.depth</c> gauge (what the
/// dashboards, the alerts and KEDA watch), labelled with each queue's name.
/// </summary>
sealed class QueueDepthPoller(SqsQueues queues, LoginEtlTelemetry telemetry, IOptions<SqsOptions> options) : BackgroundService
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                telemetry.QueueDepth(options.Value.QueueName, await queues.ApproximateDepthAsync(queues.QueueUrl, stoppingToken));
                telemetry.QueueDepth(options.Value.DeadLetterQueueName, await queues.ApproximateDepthAsync(queues.DeadLetterQueueUrl, stoppingToken));
            }
            catch (Exception ex) when (SqsFailures.IsTransient(ex))
            {
                // The pollers report SQS failures; the gauge keeps its last value.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
    }
}
