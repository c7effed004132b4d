using Amazon.SQS;
using LoginEtl.Worker.Sqs;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Hosting;

/// <summary>The SQS settings and client of a command that works on the queues only (produce, redrive).</summary>
sealed class SqsCommandHost : IDisposable
{
    readonly IHost _host;

    SqsCommandHost(IHost host)
    {
        _host = host;
        Options = host.Services.GetRequiredService<IOptions<SqsOptions>>().Value;
        Sqs = host.Services.GetRequiredService<IAmazonSQS>();
    }

    public SqsOptions Options { get; }

    public IAmazonSQS Sqs { get; }

    /// <summary>Reads and checks the settings; a bad one is a <see cref="StartupException"/> naming it.</summary>
    public static SqsCommandHost Create(string[] configurationArgs)
    {
        var builder = LoginEtlHost.CreateBuilder(configurationArgs);
        builder.AddSqs();
        var host = builder.Build();
        try
        {
            StartupChecks.ValidateOptions<SqsOptions>(host.Services);
            return new SqsCommandHost(host);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    public Task<string> QueueUrlAsync() =>
        SqsQueues.ResolveUrlAsync(Sqs, Options.QueueName, "Sqs__QueueName", CancellationToken.None);

    public Task<string> DeadLetterQueueUrlAsync() =>
        SqsQueues.ResolveUrlAsync(Sqs, Options.DeadLetterQueueName, "Sqs__DeadLetterQueueName", CancellationToken.None);

    public void Dispose() => _host.Dispose();
}
