using System.Diagnostics;

namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>Percentiles (nearest rank) of a set of latencies, in milliseconds.</summary>
internal sealed record LatencySummary(int Count, double P50, double P95, double P99, double Max)
{
    public static readonly LatencySummary Empty = new(0, double.NaN, double.NaN, double.NaN, double.NaN);

    public static LatencySummary Of(IEnumerable<Sample> samples)
    {
        var ticks = samples.Select(s => s.LatencyTicks).ToArray();
        if (ticks.Length == 0)
        {
            return Empty;
        }

        Array.Sort(ticks);
        return new LatencySummary(ticks.Length, Ms(At(ticks, 0.50)), Ms(At(ticks, 0.95)), Ms(At(ticks, 0.99)), Ms(ticks[^1]));
    }

    private static long At(long[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
