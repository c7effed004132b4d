using Amazon.SQS;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Sqs;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Hosting;

public static class SqsRegistration
{
    /// <summary>The SQS client and the queues named by the <c>Sqs</c> settings.</summary>
    public static IHostApplicationBuilder AddSqs(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SqsOptions>().BindConfiguration(SqsOptions.Section).ValidateSettings().ValidateOnStart();
        builder.Services.AddSingleton(sp => SqsClientFactory.Create(sp.GetRequiredService<IOptions<SqsOptions>>().Value.ServiceUrl));
        builder.Services.AddSingleton<SqsQueues>();
        return builder;
    }
}
