using LoginEtl.Worker.Telemetry;

namespace LoginEtl.Bench;

/// <summary>
/// One replica on an empty queue: how many receives it makes, counted over <c>--idle-seconds</c> from its start and
/// given per hour (what an idle replica costs in SQS calls).
/// </summary>
static class IdlePhase
{
    public static async Task<double> MeasureAsync(BenchEnvironment bench, TimeSpan duration)
    {
        var queueName = bench.QueueName + "-idle";
        var (queueUrl, deadLetterUrl) = await bench.CreateQueuesAsync(queueName);
        try
        {
            bench.Report($"idle: one replica on an empty queue for {duration.TotalSeconds:F0} s");
            using var host = await bench.CreateRunHostAsync(drain: false, queueName);
            var telemetry = host.Services.GetRequiredService<LoginEtlTelemetry>();
            await host.StartAsync();
            await Task.Delay(duration);
            var receives = telemetry.SqsRequests().GetValueOrDefault("ReceiveMessage");
            await host.StopAsync();
            return receives * TimeSpan.FromHours(1) / duration;
        }
        finally
        {
            await bench.DeleteQueuesAsync(queueUrl, deadLetterUrl);
        }
    }
}
