using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace LoginEtl.Worker.Persistence;

/// <summary>
/// Readiness of the database: not ready while it refuses writes (<see cref="DatabaseAvailability"/>), and a
/// <c>SELECT 1</c> on a pooled connection at every probe, so that an idle replica whose database is gone stops being
/// ready before a write finds out.
/// </summary>
sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource, DatabaseAvailability availability) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!availability.IsAvailable)
            return new HealthCheckResult(context.Registration.FailureStatus, $"refusing writes ({availability.Reason}); consuming is paused");
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy("reachable");
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or IOException)
        {
            // The type and SQL state only: the probe's answer is unauthenticated, and Npgsql's messages name hosts and users.
            var reason = ex is PostgresException postgres ? $"{ex.GetType().Name} {postgres.SqlState}" : ex.GetType().Name;
            return new HealthCheckResult(context.Registration.FailureStatus, $"unreachable ({reason})");
        }
    }
}
