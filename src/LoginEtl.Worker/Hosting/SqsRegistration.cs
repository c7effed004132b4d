using System.Collections.Concurrent;
using Amazon.Runtime;
using Amazon.SQS;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Sqs;
using LoginEtl.Worker.Telemetry;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Hosting;

public static class SqsRegistration
{
    /// <summary>The SQS client and the queues named by the <c>Sqs</c> settings.</summary>
    public static IHostApplicationBuilder AddSqs(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SqsOptions>().BindConfiguration(SqsOptions.Section).ValidateSettings().ValidateOnStart();
        builder.Services.AddSingleton(sp =>
        {
            var client = SqsClientFactory.Create(sp.GetRequiredService<IOptions<SqsOptions>>().Value.ServiceUrl);
            if (sp.GetService<LoginEtlTelemetry>() is { } telemetry)
                CountRequests((AmazonServiceClient)client, telemetry);
            return client;
        });
        builder.Services.AddSingleton<SqsQueues>();
        return builder;
    }

    // Counted where every call of the client passes, whichever part of the service makes it.
    static void CountRequests(AmazonServiceClient client, LoginEtlTelemetry telemetry) =>
        client.BeforeRequestEvent += (_, e) =>
        {
            if (e is WebServiceRequestEventArgs { Request: { } request })
                telemetry.SqsRequest(OperationOf(request));
        };

    // The operation is the request type's name without "Request" (ReceiveMessageRequest: ReceiveMessage), worked out
    // once per type.
    static readonly ConcurrentDictionary<Type, string> Operations = new();

    static string OperationOf(AmazonWebServiceRequest request) =>
        Operations.GetOrAdd(request.GetType(), static type =>
            type.Name.EndsWith("Request", StringComparison.Ordinal) ? type.Name[..^"Request".Length] : type.Name);
}
