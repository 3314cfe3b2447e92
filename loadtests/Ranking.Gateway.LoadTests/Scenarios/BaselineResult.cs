using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>The baselines of one run: the same closed loop against the in-memory ceiling, the gateway's FRESH hit and the uncached origin, then both hit paths at half the gateway's peak.</summary>
internal sealed record BaselineResult(PhaseResult Ceiling, PhaseResult Hit, PhaseResult Origin, PhaseResult HitAtHalf, PhaseResult CeilingAtHalf)
{
    public double HitPeak => Hit.RequestsPerSecond;

    public double HitToCeiling => Hit.RequestsPerSecond / Ceiling.RequestsPerSecond;

    public double HitToOrigin => Hit.RequestsPerSecond / Origin.RequestsPerSecond;

    public IEnumerable<PhaseResult> Phases => [Ceiling, Hit, Origin, HitAtHalf, CeilingAtHalf];
}
