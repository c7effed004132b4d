using Amazon.SQS;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Sqs;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LoginEtl.Bench;

/// <summary>
/// What every phase of the benchmark works on: queues and a database schema of the benchmark's own (the configured
/// database and queues are left alone), the traffic, and the settings of the service hosts it starts. Disposing it
/// removes the queues and the schema.
/// </summary>
sealed class BenchEnvironment : IAsyncDisposable
{
    readonly string[] _configurationArgs;
    readonly double _invalidPercent;
    readonly TimeSpan _sqsLatency;
    LatencyProxy? _latencyProxy;
    readonly TextWriter _progress;
    readonly string _runId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray(), 0, 4);
    IAmazonSQS _sqs = null!;

    BenchEnvironment(string[] configurationArgs, int messageCount, double invalidPercent, TimeSpan sqsLatency, TextWriter progress)
    {
        _configurationArgs = configurationArgs;
        MessageCount = messageCount;
        _invalidPercent = invalidPercent;
        _sqsLatency = sqsLatency;
        _progress = progress;
    }

    /// <summary>Messages in each measured phase.</summary>
    public int MessageCount { get; }

    public SqsOptions SqsOptions { get; private set; } = new();

    public IAmazonSQS Sqs => _sqs;

    public string QueueUrl { get; private set; } = "";

    public string DeadLetterUrl { get; private set; } = "";

    public BenchDatabase Database { get; private set; } = null!;

    /// <summary>Where the benchmark and its own processes reach SQS: through the latency proxy when there is one.</summary>
    public string? ServiceUrlForProcesses => _latencyProxy?.Url ?? SqsOptions.ServiceUrl;

    public string QueueName => $"loginetl-bench-{_runId}";

    string Schema => $"loginetl_bench_{_runId}";

    public static async Task<BenchEnvironment> CreateAsync(string[] configurationArgs, int messageCount, double invalidPercent,
        TimeSpan sqsLatency, TextWriter progress)
    {
        var environment = new BenchEnvironment(configurationArgs, messageCount, invalidPercent, sqsLatency, progress);
        await environment.SetUpAsync();
        return environment;
    }

    async Task SetUpAsync()
    {
        var builder = LoginEtlHost.CreateBuilder(_configurationArgs);
        builder.AddSqs();
        builder.AddLoginDatabase();
        using var host = LoginEtlHost.Build(builder);
        SqsOptions = host.Services.GetRequiredService<IOptions<SqsOptions>>().Value;
        if (_sqsLatency > TimeSpan.Zero)
        {
            if (!Uri.TryCreate(SqsOptions.ServiceUrl, UriKind.Absolute, out var endpoint))
                throw new StartupException("--sqs-latency-ms needs Sqs__ServiceUrl: the delay is added in front of that endpoint");
            _latencyProxy = new LatencyProxy(endpoint, _sqsLatency);
        }

        _sqs = SqsClientFactory.Create(ServiceUrlForProcesses);
        Database = new BenchDatabase(
            host.Services.GetRequiredService<IConfiguration>().GetConnectionString(LoginDatabaseRegistration.ConnectionStringName)!, Schema);

        try
        {
            (QueueUrl, DeadLetterUrl) = await CreateQueuesAsync(QueueName);
        }
        catch (Exception ex) when (ex is AmazonSQSException or HttpRequestException)
        {
            throw new StartupException($"cannot create the benchmark's queues (Sqs__ServiceUrl / AWS_ENDPOINT_URL_SQS): {ex.Message}");
        }

        try
        {
            await Database.CreateAsync();
        }
        catch (NpgsqlException ex)
        {
            throw new StartupException($"cannot create the benchmark's schema (ConnectionStrings__LoginDb): {ex.Message}");
        }
    }

    /// <summary>The traffic, generated again for each phase rather than held: the backlog lives in SQS, not here.</summary>
    public IEnumerable<SampleTraffic.Message> Traffic() => SampleTraffic.Generate(MessageCount, _invalidPercent, seed: 20261125);

    public void Report(string line) => _progress.WriteLine($"bench: {line}");

    /// <summary>A line on the progress writer every few seconds while a phase runs.</summary>
    public ConsoleProgress Progress(Func<string> describe) => new(_progress, () => $"bench: {describe()}");

    /// <summary>A queue and its dead-letter queue, named after the queue.</summary>
    public Task<(string QueueUrl, string DeadLetterUrl)> CreateQueuesAsync(string name) =>
        SqsQueuePair.CreateAsync(_sqs, name, DeadLetterNameOf(name), maxReceiveCount: 10);

    // A FIFO queue's dead-letter queue is a FIFO queue, and its name must end in .fifo too.
    static string DeadLetterNameOf(string name) => FifoMessages.IsFifo(name)
        ? name[..^FifoMessages.Suffix.Length] + "-dlq" + FifoMessages.Suffix
        : name + "-dlq";

    public async Task DeleteQueuesAsync(params string[] urls)
    {
        foreach (var url in urls.Where(u => u.Length > 0))
            await _sqs.DeleteQueueAsync(url);
    }

    /// <summary>Sends the bodies; to a FIFO queue, body i in group i mod <paramref name="groups"/>.</summary>
    public async Task SendAsync(string queueUrl, IEnumerable<string> bodies, int groups = 1)
    {
        var sent = 0L;
        await using var progress = Progress(() => $"{Volatile.Read(ref sent)} messages sent so far");
        var result = await SqsBatchSender.SendAsync(_sqs, queueUrl, bodies.Select((b, i) => ((long)i, b, (string?)$"g{i % groups}")).ToAsyncEnumerable(),
            SqsOptions.Pollers, _progress, sentSoFar => Volatile.Write(ref sent, sentSoFar));
        if (result.Failed > 0)
            throw new StartupException($"{result.Failed} messages could not be sent to the benchmark queue");
    }

    public async Task<long> DeadLetterCountAsync() =>
        (await _sqs.GetQueueAttributesAsync(DeadLetterUrl, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages;

    /// <summary>The service's host on the benchmark's schema and on <paramref name="queueName"/> (by default the benchmark's queue).</summary>
    public Task<IHost> CreateRunHostAsync(bool drain, string? queueName = null) =>
        LoginEtlHost.CreateRunHostAsync(drain, _configurationArgs, Overrides(queueName ?? QueueName));

    /// <summary>The consume pipeline alone, without SQS, on the benchmark's schema.</summary>
    public IHost CreatePipelineHost()
    {
        var builder = LoginEtlHost.CreateBuilder(_configurationArgs);
        builder.Configuration.AddInMemoryCollection(Overrides(QueueName));
        builder.AddLoginEtlPipeline();
        return LoginEtlHost.Build(builder);
    }

    /// <summary>
    /// The settings of a host on the benchmark's queue and schema as <c>--Section:Key=value</c> arguments, for a process of
    /// its own: the command line's, then the benchmark's.
    /// </summary>
    public IEnumerable<string> SettingArguments(string? queueName = null) =>
        _configurationArgs.Concat(Overrides(queueName ?? QueueName).Select(setting => $"--{setting.Key}={setting.Value}"));

    Dictionary<string, string?> Overrides(string queueName)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["ConnectionStrings:LoginDb"] = Database.ConnectionString,
            ["Sqs:QueueName"] = queueName,
            ["Sqs:DeadLetterQueueName"] = DeadLetterNameOf(queueName),
            ["Health:Port"] = "0",
            // Thousands of dead letters are expected: one line each would measure the console.
            ["Logging:LogLevel:LoginEtl"] = "Error",
        };
        if (_latencyProxy is not null)
            overrides["Sqs:ServiceUrl"] = _latencyProxy.Url;
        return overrides;
    }

    public async ValueTask DisposeAsync()
    {
        await DeleteQueuesAsync(QueueUrl, DeadLetterUrl);
        await Database.DropAsync();
        _sqs.Dispose();
        if (_latencyProxy is not null)
            await _latencyProxy.DisposeAsync();
    }
}
