using System.Reflection;
using LoginEtl.Worker.Telemetry;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LoginEtl.Worker.Hosting;

public static class TelemetryRegistration
{
    static readonly string[] Sources = [LoginEtlTelemetry.Name, "MassTransit", "Npgsql"];
    static readonly string[] Meters = [LoginEtlTelemetry.Name, "Npgsql"];

    // The most series (combinations of attribute values) one metric keeps; the service's metrics have a few dozen at
    // most. The SDK sets their room aside up front for each metric, and its default of 2,000 held memory of every
    // replica's heap for nothing. Values beyond it go to one series marked otel.metric.overflow.
    const int SeriesPerMetric = 200;

    // The attributes kept on Npgsql's metrics. Its operation metrics also carry the server's address and port
    // (and may carry the database's name): they stay out of /metrics, which anyone who reaches the port can read.
    static readonly string[] NpgsqlMetricAttributes =
    [
        "db.client.connection.pool.name", "db.client.connection.state", "db.system.name", "db.operation.name", "error.type",
    ];

    /// <summary>
    /// Metrics of the service, Npgsql and the runtime (and MassTransit's with <c>Telemetry__MassTransitMetrics=true</c>),
    /// scraped at <c>/metrics</c> beside the health probes; with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, traces, metrics
    /// and logs also go out over OTLP (the standard OTEL_* variables apply; <c>OTEL_METRICS_EXPORTER=prometheus</c>
    /// or <c>none</c> keeps metrics off OTLP where Prometheus scrapes them). Without an OTLP endpoint no span is
    /// recorded, so tracing costs nothing.
    /// </summary>
    public static IHostApplicationBuilder AddLoginEtlTelemetry(this IHostApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var otlpMetrics = otlp && MetricsExporters(builder.Configuration["OTEL_METRICS_EXPORTER"]).Contains("otlp");
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateSettings().ValidateOnStart();
        // The meters are chosen when the meter provider is built, from the settings the host has checked by then.
        builder.Services.ConfigureOpenTelemetryMeterProvider((services, metrics) =>
            metrics.AddMeter(services.GetRequiredService<IOptions<TelemetryOptions>>().Value.MassTransitMetrics ? Sources : Meters));
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "login-etl", serviceVersion: ServiceVersion))
            .WithMetrics(metrics =>
            {
                // No cached answer: Prometheus scrapes a replica every 15 to 30 s, and a reading should be the counters' now.
                metrics.AddRuntimeInstrumentation().AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
                metrics.AddView(instrument => new MetricStreamConfiguration
                {
                    TagKeys = instrument.Meter.Name == "Npgsql" ? NpgsqlMetricAttributes : null,
                    CardinalityLimit = SeriesPerMetric,
                });
                if (otlpMetrics)
                    metrics.AddOtlpExporter();
            });

        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing.AddSource(Sources).AddOtlpExporter());
            builder.Logging.AddOpenTelemetry(logging => logging.AddOtlpExporter());
        }

        return builder;
    }

    // The version --version prints, without the source revision the SDK appends after a '+'.
    static string? ServiceVersion =>
        typeof(TelemetryRegistration).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];

    // OTEL_METRICS_EXPORTER as the OpenTelemetry specification defines it (a comma-separated list, default "otlp"),
    // which the .NET SDK leaves to the application.
    static HashSet<string> MetricsExporters(string? setting) =>
        (string.IsNullOrWhiteSpace(setting) ? "otlp" : setting)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
}
