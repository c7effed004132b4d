using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Telemetry;

namespace LoginEtl.Worker.Sqs;

/// <summary>Polls the queue's depth for the <c>loginetl.queue.depth</c> gauge (what the dashboards and KEDA watch).</summary>
sealed class QueueDepthPoller(SqsQueues queues, LoginEtlTelemetry telemetry) : BackgroundService
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                telemetry.QueueDepth(await queues.ApproximateDepthAsync(queues.QueueUrl, stoppingToken));
            }
            catch (Exception ex) when (SqsFailures.IsTransient(ex))
            {
                // The pollers report SQS failures; the gauge keeps its last value.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
    }
}
