namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>Nearest-rank quantiles of a sorted array, as <see cref="LatencySummary"/> takes them.</summary>
internal static class Quantiles
{
    public static T At<T>(T[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}
