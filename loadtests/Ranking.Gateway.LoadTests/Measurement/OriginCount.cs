namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>
/// Origin queries so far: PostgreSQL's own account (pg_stat_statements calls; null when it cannot be read)
/// and each gateway instance's <c>gateway_origin_queries_total</c>.
/// </summary>
internal sealed record OriginCount(long? Postgres, IReadOnlyList<long> PerInstance)
{
    public long Metrics => PerInstance.Sum();

    public bool SameAs(OriginCount other) => Postgres == other.Postgres && PerInstance.SequenceEqual(other.PerInstance);

    public OriginDelta Since(OriginCount before) => new(
        Postgres - before.Postgres,
        PerInstance.Zip(before.PerInstance, (after, b) => after - b).ToArray());
}
