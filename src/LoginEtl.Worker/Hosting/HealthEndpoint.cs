using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace LoginEtl.Worker.Hosting;

/// <summary>
/// <c>/health/live</c> and <c>/health/ready</c> (the host's health checks tagged <c>live</c> and <c>ready</c>) for
/// Kubernetes probes, and <c>/metrics</c> for Prometheus. They listen where ASP.NET Core's settings say
/// (ASPNETCORE_HTTP_PORTS, ASPNETCORE_URLS), or on <c>Health__Port</c> when it is set; 0 turns them off. A web
/// application of their own inside the service's host, so that every other command stays a plain host; built empty
/// (Kestrel and three paths, no routing, configuration files or logging of its own), for a replica's memory
/// (docs/performance.md, decision log).
/// </summary>
sealed class HealthEndpoint(IOptions<HealthOptions> options, HealthCheckService checks, MeterProvider meters) : IHostedService
{
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Port == 0)
            return;

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        // Where it listens, as in any ASP.NET Core app.
        builder.Configuration.AddEnvironmentVariables("ASPNETCORE_");
        builder.WebHost.UseKestrelCore();
        if (options.Value.Port is { } port)
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenAnyIP(port));
        builder.Services.AddSingleton(checks);
        _app = builder.Build();
        _app.UseHealthChecks("/health/live", Probe(HealthRegistration.LiveTag));
        _app.UseHealthChecks("/health/ready", Probe(HealthRegistration.ReadyTag));
        _app.UseOpenTelemetryPrometheusScrapingEndpoint(meters, predicate: null, path: "/metrics", configureBranchedPipeline: null, optionsName: null);
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

    static HealthCheckOptions Probe(string tag) => new()
    {
        Predicate = registration => registration.Tags.Contains(tag),
        ResponseWriter = WriteReportAsync,
    };

    // The framework's default writer prints the overall status alone; an operator also wants to see which check failed.
    static Task WriteReportAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            Status = report.Status.ToString(),
            Checks = report.Entries.ToDictionary(e => e.Key, e => new { Status = e.Value.Status.ToString(), e.Value.Description }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, Json, context.RequestAborted);
    }
}
