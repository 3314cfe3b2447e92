using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Scenarios.Overload;

/// <summary>
/// One flood: the flood itself (closed loop), the known-group reads the second client made meanwhile (the probe), what
/// PostgreSQL was running at once (pg_stat_activity readings) and the gateway's memory before, during and after.
/// </summary>
internal sealed record FloodResult(
    FloodTarget Target,
    bool UnknownIds,
    PhaseResult Flood,
    PhaseResult Probe,
    IReadOnlyList<Reading<PgActivityReading>> Activity,
    MemoryReading? MemoryBefore,
    IReadOnlyList<Reading<MemoryReading>> Memory)
{
    public string Kind => UnknownIds ? "unknown-id flood" : "known-id flood";

    public int PeakTopN => Activity.Count == 0 ? 0 : Activity.Max(r => r.Value.TopN);

    public double MeanTopN => Activity.Count == 0 ? double.NaN : Activity.Average(r => r.Value.TopN);

    public int PeakConnections => Activity.Count == 0 ? 0 : Activity.Max(r => r.Value.Connections);

    public double QueriesPerSecond => Flood.Origin is { } origin ? origin.Queries / Flood.Elapsed.TotalSeconds : double.NaN;

    public int Answered(int status) => Flood.Samples.Count(s => s.StatusCode == status);

    public MemoryReading? MemoryAfter => Memory.Count == 0 ? null : Memory[^1].Value;
}
