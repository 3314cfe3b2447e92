using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Scenarios.Hit;

/// <summary>
/// One server answering the same FRESH hit, asked through <see cref="Client"/> (with or without Accept-Encoding: gzip): at
/// <see cref="Uri"/> alone, or with <see cref="Keys"/> at the key each request draws.
/// </summary>
internal sealed record HitTarget(string Name, string Description, Uri Uri, LoadClient Client, HitKeys? Keys = null)
{
    /// <summary>Its closed-loop phases, one per round.</summary>
    public List<PhaseResult> Rounds { get; } = [];

    /// <summary>Its open loop at half of the gateway's peak, when it had one.</summary>
    public PhaseResult? AtHalf { get; set; }

    /// <summary>What one answer looked like before the load: status, Content-Encoding and bytes on the wire.</summary>
    public string Answer { get; set; } = "";

    /// <summary>The median round's requests per second: the figure the ratios are made of.</summary>
    public double Peak
    {
        get
        {
            var rates = Rounds.Select(r => r.RequestsPerSecond).Order().ToArray();
            return rates.Length == 0 ? double.NaN : (rates[(rates.Length - 1) / 2] + rates[rates.Length / 2]) / 2;
        }
    }

    public RequestPlan Plan => Keys is { } keys ? (_, random) => keys.Next(random) : (_, _) => (Uri, 1);
}
