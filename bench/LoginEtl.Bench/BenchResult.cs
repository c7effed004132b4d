using System.Text.Json.Serialization;

namespace LoginEtl.Bench;

/// <summary>What <c>login-etl bench</c> measured; serialized as its --json line.</summary>
public sealed record BenchResult(
    [property: JsonPropertyName("messages")] int Messages,
    [property: JsonPropertyName("invalid")] int Invalid,
    [property: JsonPropertyName("pollers")] int Pollers,
    [property: JsonPropertyName("ceiling_msgs_per_s")] double CeilingMessagesPerSecond,
    [property: JsonPropertyName("etl_msgs_per_s")] double EtlMessagesPerSecond,
    [property: JsonPropertyName("ratio")] double Ratio,
    [property: JsonPropertyName("pipeline_msgs_per_s")] double PipelineMessagesPerSecond,
    [property: JsonPropertyName("peak_rss_mb")] double PeakRssMegabytes,
    [property: JsonPropertyName("latency_load_msgs_per_s")] double LatencyLoadMessagesPerSecond,
    [property: JsonPropertyName("latency_p50_ms")] double LatencyP50Milliseconds,
    [property: JsonPropertyName("latency_p99_ms")] double LatencyP99Milliseconds,
    [property: JsonPropertyName("ceiling_cpu_us_per_msg")] double CeilingCpuMicroseconds,
    [property: JsonPropertyName("etl_cpu_us_per_msg")] double EtlCpuMicroseconds,
    [property: JsonPropertyName("pipeline_cpu_us_per_msg")] double PipelineCpuMicroseconds,
    [property: JsonPropertyName("ceiling_before_msgs_per_s")] double CeilingBeforeMessagesPerSecond,
    [property: JsonPropertyName("ceiling_after_msgs_per_s")] double CeilingAfterMessagesPerSecond,
    [property: JsonPropertyName("inbox_mb_per_million_msgs")] double InboxMegabytesPerMillion,
    [property: JsonPropertyName("sqs_latency_ms")] int SqsLatencyMilliseconds,
    [property: JsonPropertyName("etl_peak_rss_mb")] double EtlPeakRssMegabytes,
    [property: JsonPropertyName("sqs_calls_per_1000_msgs")] double SqsCallsPerThousand,
    [property: JsonPropertyName("etl_sqs_calls")] IReadOnlyDictionary<string, long> EtlSqsCalls,
    [property: JsonPropertyName("idle_receives_per_hour")] double IdleReceivesPerHour)
{
    /// <summary>The etl's CPU per message over the ceiling's, both in processes of their own: what LoginEtl adds to receiving and deleting.</summary>
    [JsonPropertyName("cpu_overhead")]
    public double CpuOverhead { get; init; }

    /// <summary>The local PostgreSQL server's CPU per row stored during the etl phase, all its processes.</summary>
    [JsonPropertyName("postgres_cpu_us_per_msg")]
    public double PostgresCpuMicroseconds { get; init; }

    /// <summary>Rows stored per database transaction during the etl.</summary>
    [JsonPropertyName("etl_mean_batch_size")]
    public double EtlMeanBatchSize { get; init; }

    /// <summary>The etl with a prefilled inbox (<c>--inbox-prefill N</c>); null without it.</summary>
    [JsonPropertyName("inbox_prefilled")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PrefilledInboxResult? Prefilled { get; init; }

    /// <summary>The etl on FIFO queues (<c>--fifo-groups N</c>), one entry for each number of groups; null without it.</summary>
    [JsonPropertyName("fifo")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<FifoResult>? Fifo { get; init; }

    public string ToTable() => $"""
        messages                 {Messages} ({Invalid} invalid), {Pollers} pollers, {SqsLatencyMilliseconds} ms added to each SQS call
        ceiling (receive+delete) {CeilingMessagesPerSecond,10:F0} messages/s  {CeilingCpuMicroseconds,6:F1} us CPU/message (a process of its own)
          before / after the etl {CeilingBeforeMessagesPerSecond,10:F0} / {CeilingAfterMessagesPerSecond:F0} messages/s
        etl (run --drain)        {EtlMessagesPerSecond,10:F0} messages/s  {EtlCpuMicroseconds,6:F1} us CPU/message
        etl / ceiling            {Ratio,10:F2} (rate), {CpuOverhead:F2} (CPU per message)
        PostgreSQL during etl    {PostgresCpuMicroseconds,10:F1} us CPU/row, {EtlMeanBatchSize:F0} rows a transaction
        etl process peak RSS     {EtlPeakRssMegabytes,10:F0} MB
        etl SQS calls            {SqsCallsPerThousand,10:F0} per 1000 messages ({string.Join(", ", EtlSqsCalls.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))})
        idle replica             {IdleReceivesPerHour,10:F0} receives per hour
        pipeline (no SQS)        {PipelineMessagesPerSecond,10:F0} messages/s  {PipelineCpuMicroseconds,6:F1} us CPU/message
        bench process peak RSS   {PeakRssMegabytes,10:F0} MB
        latency at {LatencyLoadMessagesPerSecond:F0} messages/s: p50 {LatencyP50Milliseconds:F0} ms, p99 {LatencyP99Milliseconds:F0} ms (SentTimestamp to commit)
        inbox on disk            {InboxMegabytesPerMillion,10:F1} MB per million messages
        """ + (Prefilled is { } p ? "\n" + p.ToTable() : "")
        + string.Concat((Fifo ?? []).Select(f => $"\netl on a FIFO queue, {f.Groups,4} group(s) {f.EtlMessagesPerSecond,6:F0} messages/s  {f.EtlCpuMicroseconds,6:F0} us CPU/message"));
}

/// <summary>The etl against an inbox already holding <see cref="Entries"/> entries, next to the etl on an empty one.</summary>
public sealed record PrefilledInboxResult(
    [property: JsonPropertyName("entries")] long Entries,
    [property: JsonPropertyName("mb_per_million_entries")] double MegabytesPerMillion,
    [property: JsonPropertyName("etl_msgs_per_s")] double EtlMessagesPerSecond,
    [property: JsonPropertyName("empty_before_msgs_per_s")] double EmptyBeforeMessagesPerSecond,
    [property: JsonPropertyName("empty_after_msgs_per_s")] double EmptyAfterMessagesPerSecond,
    [property: JsonPropertyName("ratio")] double Ratio)
{
    public string ToTable() => $"""
        etl, inbox prefilled     {EtlMessagesPerSecond,10:F0} messages/s with {Entries} entries ({MegabytesPerMillion:F1} MB per million)
          empty before / after   {EmptyBeforeMessagesPerSecond,10:F0} / {EmptyAfterMessagesPerSecond:F0} messages/s; prefilled / mean of empty {Ratio:F3}
        """;
}

/// <summary>What <c>--pipeline-only</c> measured.</summary>
public sealed record PipelineResult(
    [property: JsonPropertyName("messages")] int Messages,
    [property: JsonPropertyName("pipeline_msgs_per_s")] double PipelineMessagesPerSecond,
    [property: JsonPropertyName("pipeline_cpu_us_per_msg")] double PipelineCpuMicroseconds,
    [property: JsonPropertyName("pipeline_postgres_cpu_us_per_msg")] double PostgresCpuMicroseconds)
{
    public string ToTable() => $"pipeline (no SQS)  {PipelineMessagesPerSecond,10:F0} messages/s  {PipelineCpuMicroseconds,6:F1} us CPU/message, PostgreSQL {PostgresCpuMicroseconds:F1} us a row";
}
