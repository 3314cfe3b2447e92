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
        return new LatencySummary(ticks.Length, Ms(Quantiles.At(ticks, 0.50)), Ms(Quantiles.At(ticks, 0.95)), Ms(Quantiles.At(ticks, 0.99)), Ms(ticks[^1]));
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
