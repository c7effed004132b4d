using Polly;
using Polly.Retry;

namespace LoginEtl.Worker.Aws;

/// <summary>
/// Retrying until it works, with exponential back-off and jitter (from 200 ms up to 30 s between attempts): a receive
/// from SQS, a send of outbox events. Polly's retry strategy, configured once for both.
/// </summary>
public static class Backoff
{
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan Longest = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Retries what <paramref name="transient"/> accepts, for ever (until the token passed to the pipeline is cancelled);
    /// <paramref name="retrying"/> hears of each failure with the delay before the next attempt.
    /// </summary>
    public static ResiliencePipeline Forever(Func<Exception, bool> transient, Action<Exception, TimeSpan> retrying) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle(transient),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = First,
                MaxDelay = Longest,
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    retrying(args.Outcome.Exception!, args.RetryDelay);
                    return default;
                },
            })
            .Build();
}
