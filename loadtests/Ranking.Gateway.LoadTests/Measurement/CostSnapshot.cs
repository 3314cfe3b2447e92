namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>Everything that costs, counted at one moment: SQL, Redis, the gateways' counters and their CPU time.</summary>
/// <param name="Cpu">CPU time (user + system) of each gateway instance so far.</param>
/// <param name="OriginQueries">gateway_origin_queries_total of each gateway instance so far (how the work is spread).</param>
internal sealed record CostSnapshot(DateTimeOffset At, SqlStats Sql, RedisStats Redis, GatewayCounters Metrics, IReadOnlyList<TimeSpan> Cpu, IReadOnlyList<double> OriginQueries)
{
    /// <summary>The window from <paramref name="before"/> to this; an instance that joined since counts from zero.</summary>
    public CostDelta Since(CostSnapshot before) => new(
        At - before.At,
        Sql.Since(before.Sql),
        Redis.Since(before.Redis),
        Metrics.Since(before.Metrics),
        [.. Cpu.Select((after, i) => after - (i < before.Cpu.Count ? before.Cpu[i] : TimeSpan.Zero))],
        [.. OriginQueries.Select((after, i) => after - (i < before.OriginQueries.Count ? before.OriginQueries[i] : 0))]);
}
