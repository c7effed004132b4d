using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LoginEtl.Worker.Persistence;

/// <summary>Readiness of the inbox window: not ready once no rotation has succeeded for <see cref="InboxWindow.StaleAfter"/>.</summary>
sealed class InboxHealthCheck(InboxWindow window) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(window.IsStale
            ? new HealthCheckResult(context.Registration.FailureStatus,
                $"the inbox window has not been rotated since {window.LastRotated:u}: old entries are not expiring")
            : HealthCheckResult.Healthy($"rotated {window.LastRotated:u}"));
}
