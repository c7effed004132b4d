using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Hosting;

public static class HealthRegistration
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    // Below the probes' own timeout (3 s in deploy/k8s), so that a slow database reads as not ready rather than as no answer.
    static readonly TimeSpan DatabaseTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The health checks of <c>login-etl run</c>, one per concern: readiness (<c>ready</c>) wants the database to
    /// answer and take writes, the queue's receives to succeed, the inbox window to be rotated, and held messages to
    /// move within <c>Health__StallTimeout</c>;
    /// liveness (<c>live</c>) fails only when they have not moved for <c>Health__LivenessStallTimeout</c>. Served with
    /// <c>/metrics</c> by <see cref="HealthEndpoint"/>.
    /// </summary>
    public static IHostApplicationBuilder AddLoginEtlHealth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.Section).ValidateSettings().ValidateOnStart();
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag], timeout: DatabaseTimeout)
            .AddCheck<QueueHealthCheck>("queue", tags: [ReadyTag])
            .AddCheck<InboxHealthCheck>("inbox", tags: [ReadyTag])
            .Add(new HealthCheckRegistration("processing",
                sp => new ProcessingHealthCheck(sp.GetRequiredService<SqsSettlement>(), Options(sp).StallTimeout),
                failureStatus: null, tags: [ReadyTag]))
            .Add(new HealthCheckRegistration("processing-liveness",
                sp => new ProcessingHealthCheck(sp.GetRequiredService<SqsSettlement>(), Options(sp).LivenessStallTimeout),
                failureStatus: null, tags: [LiveTag]));
        builder.Services.AddHostedService<HealthEndpoint>();
        return builder;
    }

    static HealthOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<HealthOptions>>().Value;
}
