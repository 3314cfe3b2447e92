using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios.Hit;

/// <summary>
/// One server answering the same FRESH hit, asked through <see cref="Client"/> (with or without Accept-Encoding: gzip): at
/// <see cref="Uri"/> alone, or with <see cref="Keys"/> at the key each request draws.
/// </summary>
internal sealed record HitTarget(string Name, string Description, Uri Uri, LoadClient Client, HitKeys? Keys = null)
{
    /// <summary>Its closed-loop phases, one per round.</summary>
    public List<PhaseResult> Rounds { get; } = [];

    /// <summary>Its open loops at half of the gateway's peak, one per round (none for a target not asked so).</summary>
    public List<PhaseResult> AtHalf { get; } = [];

    /// <summary>What one answer looked like before the load: status, Content-Encoding and bytes on the wire.</summary>
    public string Answer { get; set; } = "";

    /// <summary>The median round's requests per second: the figure the ratios are made of.</summary>
    public double Peak => Median(Rounds.Select(r => r.RequestsPerSecond));

    /// <summary>The median of its open-loop rounds' p50s (NaN without any).</summary>
    public double P50 => Median(AtHalf.Select(r => r.Latency.P50));

    /// <summary>The median of its open-loop rounds' p99s (NaN without any).</summary>
    public double P99 => Median(AtHalf.Select(r => r.Latency.P99));

    /// <summary>Its open-loop rounds' p99s, as "median (lowest–highest)".</summary>
    public string P99Spread => AtHalf.Count switch
    {
        0 => "",
        1 => PhaseTable.Ms(P99),
        _ => $"{PhaseTable.Ms(P99)} ({PhaseTable.Ms(AtHalf.Min(r => r.Latency.P99))}–{PhaseTable.Ms(AtHalf.Max(r => r.Latency.P99))})",
    };

    public RequestPlan Plan => Keys is { } keys ? (_, random) => keys.Next(random) : (_, _) => (Uri, 1);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : (sorted[(sorted.Length - 1) / 2] + sorted[sorted.Length / 2]) / 2;
    }
}
