using LoginEtl.Worker.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LoginEtl.Worker.Hosting;

public static class TelemetryRegistration
{
    static readonly string[] Sources = [LoginEtlTelemetry.Name, "MassTransit", "Npgsql"];

    /// <summary>
    /// Metrics of the service, MassTransit, Npgsql and the runtime, scraped at <c>/metrics</c> on the health port;
    /// with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, traces, metrics and logs also go out over OTLP (the standard
    /// OTEL_* variables apply). Without an OTLP endpoint no span is recorded, so tracing costs nothing.
    /// </summary>
    public static IHostApplicationBuilder AddLoginEtlTelemetry(this IHostApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "login-etl"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(Sources).AddRuntimeInstrumentation().AddPrometheusExporter();
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
