using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
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

    // Counted and timed where every call of the client passes, whichever part of the service makes it: the SDK's
    // request events, which see each call's request object from its start to its answer or its exception.
    static void CountRequests(AmazonServiceClient client, LoginEtlTelemetry telemetry)
    {
        var started = new ConditionalWeakTable<AmazonWebServiceRequest, StrongBox<long>>();
        client.BeforeRequestEvent += (_, e) =>
        {
            if (e is not WebServiceRequestEventArgs { Request: { } request })
                return;
            telemetry.SqsRequest(OperationOf(request));
            started.AddOrUpdate(request, new StrongBox<long>(Stopwatch.GetTimestamp()));
        };
        client.AfterResponseEvent += (_, e) =>
        {
            if (e is WebServiceResponseEventArgs { Request: { } request } && started.TryGetValue(request, out var start))
                telemetry.SqsOperation(OperationOf(request), Stopwatch.GetElapsedTime(start.Value), errorType: null);
        };
        client.ExceptionEvent += (_, e) =>
        {
            if (e is WebServiceExceptionEventArgs { Request: { } request, Exception: { } exception } && started.TryGetValue(request, out var start))
                telemetry.SqsOperation(OperationOf(request), Stopwatch.GetElapsedTime(start.Value), ErrorTypeOf(exception));
        };
    }

    // SQS's error code where it answered (AWS.SimpleQueueService.NonExistentQueue, ThrottlingException...), else the
    // exception's type (HttpRequestException: it could not be reached).
    static string ErrorTypeOf(Exception exception) =>
        exception is AmazonServiceException { ErrorCode: { Length: > 0 } code } ? code : exception.GetType().Name;

    // The operation is the request type's name without "Request" (ReceiveMessageRequest: ReceiveMessage), worked out
    // once per type.
    static readonly ConcurrentDictionary<Type, string> Operations = new();

    static string OperationOf(AmazonWebServiceRequest request) =>
        Operations.GetOrAdd(request.GetType(), static type =>
            type.Name.EndsWith("Request", StringComparison.Ordinal) ? type.Name[..^"Request".Length] : type.Name);
}
