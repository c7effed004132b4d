using Amazon.SQS;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Sqs;
using Microsoft.Extensions.Options;

namespace LoginEtl.Worker.Hosting;

/// <summary>The SQS settings and client of a command that works on the queues only (produce, redrive, dead-letters).</summary>
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

    /// <summary>The message identities, signed and checked with the masking keys (only with <c>withIdentities</c>).</summary>
    public MessageIdentity Identities => _host.Services.GetRequiredService<MessageIdentity>();

    /// <summary>
    /// Reads and checks the settings; a bad one is a <see cref="StartupException"/> naming it. With
    /// <paramref name="withIdentities"/> the masking keys are required too, to carry message identities.
    /// </summary>
    public static SqsCommandHost Create(string[] configurationArgs, bool withIdentities = false)
    {
        var builder = LoginEtlHost.CreateBuilder(configurationArgs);
        builder.AddSqs();
        if (withIdentities)
        {
            builder.AddMasking();
            builder.Services.AddSingleton<MessageIdentity>();
        }

        var host = LoginEtlHost.Build(builder);
        try
        {
            return new SqsCommandHost(host);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    public Task<string> QueueUrlAsync() =>
        SqsQueueUrl.ResolveAsync(Sqs, Options.QueueName, "Sqs__QueueName", CancellationToken.None);

    public Task<string> DeadLetterQueueUrlAsync() =>
        SqsQueueUrl.ResolveAsync(Sqs, Options.DeadLetterQueueName, "Sqs__DeadLetterQueueName", CancellationToken.None);

    public void Dispose() => _host.Dispose();
}
