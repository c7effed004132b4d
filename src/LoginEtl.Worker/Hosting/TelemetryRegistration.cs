using LoginEtl.Worker.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LoginEtl.Worker.Hosting;

public static class TelemetryRegistration
{
    public const string MassTransitMetricsSetting = "Telemetry:MassTransitMetrics";

    static readonly string[] Sources = [LoginEtlTelemetry.Name, "MassTransit", "Npgsql"];
    static readonly string[] Meters = [LoginEtlTelemetry.Name, "Npgsql"];

    /// <summary>
    /// Metrics of the service, Npgsql and the runtime (and MassTransit's with <c>Telemetry__MassTransitMetrics=true</c>),
    /// scraped at <c>/metrics</c> on the health port; with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, traces, metrics
    /// and logs also go out over OTLP (the standard OTEL_* variables apply). Without an OTLP endpoint no span is
    /// recorded, so tracing costs nothing.
    /// </summary>
    public static IHostApplicationBuilder AddLoginEtlTelemetry(this IHostApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        // MassTransit's instruments count and time every message again, under its own names, beside the service's
        // received, stored, dead-lettered and lag: about 6 % of the process's CPU at full rate, so they are opt-in.
        var massTransitMetrics = builder.Configuration[MassTransitMetricsSetting] is { } value
            ? bool.TryParse(value, out var on) ? on : throw new StartupException("Telemetry__MassTransitMetrics must be true or false")
            : false;
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "login-etl"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(massTransitMetrics ? Sources : Meters).AddRuntimeInstrumentation().AddPrometheusExporter();
                if (otlp)
                    metrics.AddOtlpExporter();
            });

        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing.AddSource(Sources).AddOtlpExporter());
            builder.Logging.AddOpenTelemetry(logging => logging.AddOtlpExporter());
        }

        return builder;
    }
}
