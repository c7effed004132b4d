using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Outbox;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;
using LoginEtl.Worker.Telemetry;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Hosting;

public static class LoginEtlRegistration
{
    /// <summary>Everything <c>login-etl run</c> needs: masking, the database, SQS, the bus and the receive endpoint.</summary>
    public static IHostApplicationBuilder AddLoginEtl(this IHostApplicationBuilder builder)
    {
        builder.AddLoginEtlPipeline();
        builder.AddLoginEtlTelemetry();
        builder.AddSqs();
        builder.Services.AddSingleton<IValidateOptions<SnsOptions>, SnsOptionsValidator>();
        builder.Services.AddSingleton<MessageIdentity>();
        builder.Services.AddSingleton<IRedeliveryHorizon>(sp => sp.GetRequiredService<SqsQueues>());
        builder.Services.AddOptions<InboxOptions>().BindConfiguration(InboxOptions.Section).ValidateSettings().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        // Before the endpoint: the window's slots are prepared before the first message is taken.
        builder.Services.AddSingleton<InboxWindow>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InboxWindow>());
        builder.Services.AddSingleton<DrainMonitor>();
        // Before the endpoint, so that they stop after it: the pollers' last batches still need them to settle.
        builder.Services.AddSingleton<VisibilityHeartbeat>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<VisibilityHeartbeat>());
        builder.Services.AddSingleton<DeadLetterSender>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeadLetterSender>());
        builder.Services.AddSingleton<SqsSettlement>();
        builder.Services.AddSingleton<SqsReceiveEndpoint>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SqsReceiveEndpoint>());
        builder.Services.AddHostedService<QueueDepthPoller>();
        builder.Services.AddSingleton<OutboxSender>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboxSender>());
        builder.AddLoginEtlHealth();
        return builder;
    }

    /// <summary>The masking settings, checked once, as a <see cref="MaskingKeyRing"/>.</summary>
    public static IHostApplicationBuilder AddMasking(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MaskingOptions>().BindConfiguration(MaskingOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MaskingOptions>, MaskingOptionsValidator>();
        builder.Services.AddSingleton(sp => MaskingKeyRing.Load(sp.GetRequiredService<IOptions<MaskingOptions>>().Value));
        return builder;
    }

    /// <summary>The consume pipeline without a transport: masking, validation, the consumer and the database writer.</summary>
    public static IHostApplicationBuilder AddLoginEtlPipeline(this IHostApplicationBuilder builder)
    {
        builder.AddMasking();
        builder.Services.AddSingleton<LoginMasking>();
        builder.Services.AddSingleton<LoginReader>();
        builder.Services.AddOptions<SnsOptions>().BindConfiguration(SnsOptions.Section).ValidateOnStart();
        builder.Services.TryAddSingleton<ISnsCertificateSource, HttpSnsCertificateSource>();
        builder.Services.AddSingleton<SnsSignatureVerifier>();

        builder.Services.AddOptions<RetryOptions>().BindConfiguration(RetryOptions.Section).ValidateSettings().ValidateOnStart();
        builder.AddLoginDatabase();

        builder.Services.AddSingleton<LoginEventDispatcherFactory>();
        builder.Services.AddMassTransit(x =>
        {
            x.AddLoginEtlConsumers();
            // The in-memory bus is no part of what readiness and liveness report (see AddLoginEtlHealth): its check
            // keeps only this tag (an empty set would get MassTransit's default, "ready").
            x.ConfigureHealthCheckOptions(options =>
            {
                options.Tags.Clear();
                options.Tags.Add("masstransit");
            });
            // The SQS endpoint feeds the consumer through a dispatcher; the in-memory bus only hosts it.
            x.UsingInMemory();
        });
        return builder;
    }
}
