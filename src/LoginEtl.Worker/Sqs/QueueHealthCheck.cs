using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// Readiness of the queue, from the pollers' own receives: they call SQS without pause, so a probe of its own would
/// only add billed requests to what they already prove.
/// </summary>
sealed class QueueHealthCheck(SqsReceiveEndpoint receiver) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(receiver.QueueReachable
            ? HealthCheckResult.Healthy("receiving")
            : new HealthCheckResult(context.Registration.FailureStatus, "receives are failing"));
}
