namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>
/// pg_stat_statements totals of the gateways' database at one moment, by kind of statement: the single-group
/// Top-N query, the batched one (<c>unnest(</c> … LATERAL), Npgsql's <c>DISCARD ALL</c> when a pooled connection
/// is reused, the scans for changed groups (<c>Ranking:ChangedGroupsSql</c>, by its <c>updated_at &gt;</c>: the Queue
/// producer's and the known-groups poll's), everything else the gateways ran, and the runner's score writer.
/// </summary>
/// <param name="Evictions">pg_stat_statements_info.dealloc: entries evicted so far (counts of evicted statements are lost).</param>
internal sealed record SqlStats(SqlCounter Single, SqlCounter Batched, SqlCounter Resets, SqlCounter ChangeScans, SqlCounter Other, SqlCounter Writer, long Evictions)
{
    public static readonly SqlStats Unavailable = new(SqlCounter.Zero, SqlCounter.Zero, SqlCounter.Zero, SqlCounter.Zero, SqlCounter.Zero, SqlCounter.Zero, 0) { Available = false };

    /// <summary>False when pg_stat_statements could not be read.</summary>
    public bool Available { get; init; } = true;

    public SqlStats Since(SqlStats before) => new(
        Single.Since(before.Single), Batched.Since(before.Batched), Resets.Since(before.Resets), ChangeScans.Since(before.ChangeScans), Other.Since(before.Other),
        Writer.Since(before.Writer),
        Evictions - before.Evictions)
    {
        Available = Available && before.Available,
    };
}
