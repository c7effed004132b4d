using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LoginEtl.Worker.Telemetry;

/// <summary>Fails when messages are held and none has been settled for longer than <paramref name="stallTimeout"/>.</summary>
sealed class ProcessingHealthCheck(LoginEtlTelemetry telemetry, TimeSpan stallTimeout) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(telemetry.IsStalled(stallTimeout)
            ? new HealthCheckResult(context.Registration.FailureStatus,
                $"stalled: {telemetry.InFlight} message(s) held and none settled for over {stallTimeout}")
            : HealthCheckResult.Healthy("moving"));
}
