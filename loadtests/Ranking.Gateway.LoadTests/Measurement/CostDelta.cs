namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>What a window of a run cost: the difference of two <see cref="CostSnapshot"/>s.</summary>
internal sealed record CostDelta(TimeSpan Length, SqlStats Sql, RedisStats Redis, GatewayCounters Metrics, IReadOnlyList<TimeSpan> Cpu, IReadOnlyList<double> OriginQueries)
{
    /// <summary>Top-N queries, single and batched.</summary>
    public long TopNQueries => Sql.Single.Calls + Sql.Batched.Calls;

    public double PerMinute(double count) => Length > TimeSpan.Zero ? count * 60 / Length.TotalSeconds : double.NaN;

    public double PerPeriod(double count, TimeSpan period) => Length > TimeSpan.Zero ? count * period.TotalSeconds / Length.TotalSeconds : double.NaN;

    /// <summary>
    /// Groups the Top-N queries computed: every seeded group has the same number of users, so each returns
    /// min(users, 100) rows (the gateway always fetches the full Top-100) and rows ÷ that is groups.
    /// </summary>
    public double GroupsComputed(int users) => (double)(Sql.Single.Rows + Sql.Batched.Rows) / Math.Min(users, 100);
}
