using System.Security.Cryptography;
using LoginEtl.Worker.Commands;

namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>Runs <c>login-etl run --drain</c> in this process, through the same entry point as the command line.</summary>
static class Etl
{
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(3);

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string[] Settings(TestDatabase database, TestQueues queues, string key, params string[] extra) =>
    [
        $"--ConnectionStrings:LoginDb={database.ConnectionString}",
        $"--Sqs:ServiceUrl={TestServices.SqsServiceUrl}",
        $"--Sqs:QueueName={queues.Name}",
        $"--Sqs:DeadLetterQueueName={queues.DeadLetterName}",
        $"--Masking:Key={key}",
        "--Sqs:RedeliveryDelay=00:00:01",
        "--Sqs:MaxRedeliveryDelay=00:00:02",
        "--Retry:MinInterval=00:00:00.050",
        "--Retry:MaxInterval=00:00:00.200",
        // Many services run at once here; the health endpoint is tested on a port of its own.
        "--Health:Port=0",
        .. extra,
    ];

    /// <summary>Drains the queue; returns the exit code.</summary>
    public static Task<int> DrainAsync(TestDatabase database, TestQueues queues, string key, params string[] extra) =>
        RunCommand.RunAsync(drain: true, Settings(database, queues, key, extra)).WaitAsync(DrainTimeout);
}
