using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LoginEtl.Worker.Sqs;

/// <summary>Fails when messages are held and none has been settled for longer than <paramref name="stallTimeout"/>.</summary>
sealed class ProcessingHealthCheck(SqsSettlement settlement, TimeSpan stallTimeout) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(settlement.IsStalled(stallTimeout)
            ? new HealthCheckResult(context.Registration.FailureStatus,
                $"stalled: {settlement.InFlight} message(s) held and none settled for over {stallTimeout}")
            : HealthCheckResult.Healthy("moving"));
}
