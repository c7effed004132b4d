namespace LoginEtl.Bench;

static class Percentiles
{
    /// <summary>The nearest-rank percentile of values sorted in ascending order: the smallest value with at least that share at or below it.</summary>
    public static double Of(double[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}
