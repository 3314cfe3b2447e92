namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>Origin queries during a phase: counted by PostgreSQL and by the gateways' metrics.</summary>
internal sealed record OriginDelta(long? Postgres, IReadOnlyList<long> PerInstance)
{
    public long Metrics => PerInstance.Sum();

    /// <summary>PostgreSQL's count when there is one: it is the real one; the metrics are the cross-check.</summary>
    public long Queries => Postgres ?? Metrics;

    public bool Agree => Postgres is null || Postgres == Metrics;

    public override string ToString() =>
        (Postgres is { } pg ? $"{pg} (pg_stat_statements)" : "n/a (pg_stat_statements)")
        + $", {Metrics} (metrics: {string.Join(" + ", PerInstance)})"
        + (Agree ? "" : " DISAGREE");
}
