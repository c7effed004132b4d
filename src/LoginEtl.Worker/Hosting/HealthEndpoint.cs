using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;
using LoginEtl.Worker.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace LoginEtl.Worker.Hosting;

/// <summary>
/// <c>/health/live</c> (the process serves) and <c>/health/ready</c> (the database takes writes and the queue
/// answers, and messages held are moving) for Kubernetes probes, and <c>/metrics</c> for Prometheus, on
/// <c>Health__Port</c>. Readiness turns false while the database is down, the same moment the pollers stop
/// taking messages, and when messages are held with none settled for <c>Health__StallTimeout</c>.
/// </summary>
sealed class HealthEndpoint(IOptions<HealthOptions> options, DatabaseAvailability database, SqsReceiveEndpoint receiver,
    LoginEtlTelemetry telemetry, MeterProvider meters) : IHostedService
{
    WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Port == 0)
            return;

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.ListenAnyIP(options.Value.Port));
        _app = builder.Build();
        _app.MapGet("/health/live", () => Results.Json(new { status = "live" }));
        _app.MapGet("/health/ready", () =>
        {
            var stalled = telemetry.IsStalled(options.Value.StallTimeout);
            var checks = new Dictionary<string, string>
            {
                ["database"] = database.IsAvailable ? "available" : "unreachable",
                ["queue"] = receiver.QueueReachable ? "reachable" : "unreachable",
                ["processing"] = stalled ? "stalled" : "moving",
            };
            var ready = database.IsAvailable && receiver.QueueReachable && !stalled;
            return Results.Json(new { status = ready ? "ready" : "not ready", checks },
                statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        _app.MapPrometheusScrapingEndpoint("/metrics", meters, configureBranchedPipeline: null, optionsName: null);
        await _app.StartAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
            await _app.DisposeAsync();
        }
    }
}
