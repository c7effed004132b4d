namespace LoginEtl.Bench;

/// <summary>What <c>login-etl bench</c> was asked to measure.</summary>
/// <param name="Messages">Messages in each measured phase.</param>
/// <param name="InvalidPercent">Share of invalid messages in the traffic.</param>
/// <param name="InboxPrefill">Entries to prefill the inbox with for the prefilled-inbox phase; 0 leaves it out.</param>
/// <param name="SqsLatency">Time added to every SQS call of every phase.</param>
/// <param name="IdleDuration">How long the idle phase counts receives.</param>
/// <param name="FifoGroups">For each number, the etl on a FIFO queue with that many message groups; empty leaves it out.</param>
sealed record BenchSettings(int Messages, double InvalidPercent, long InboxPrefill, TimeSpan SqsLatency, TimeSpan IdleDuration,
    IReadOnlyList<int> FifoGroups);
