namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>Takes <see cref="CostSnapshot"/>s: every source is read at once, so a snapshot is close to one moment.</summary>
internal sealed class CostProbe(SqlStatsReader sql, RedisStatsReader redis, HttpClient http, IReadOnlyList<Uri> instances, IReadOnlyList<Func<TimeSpan>> cpu)
{
    public async Task<CostSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var at = DateTimeOffset.UtcNow;
        var cpuTimes = cpu.Select(read => read()).ToArray();
        var sqlTask = sql.ReadAsync(cancellationToken);
        var redisTask = redis.ReadAsync(cancellationToken);
        var scrapes = await Task.WhenAll(instances.Select(i => ScrapeAsync(i, cancellationToken)));
        var each = scrapes.Select(GatewayCounters.Parse).ToArray();
        var metrics = each.Aggregate(GatewayCounters.None, (sum, next) => sum.Plus(next));
        return new CostSnapshot(at, await sqlTask, await redisTask, metrics, cpuTimes, [.. each.Select(c => c.Total(GatewayCounters.OriginQueries) ?? 0)]);
    }

    public Task<string[]> ScrapeAllAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(instances.Select(i => ScrapeAsync(i, cancellationToken)));

    private Task<string> ScrapeAsync(Uri instance, CancellationToken cancellationToken) =>
        http.GetStringAsync(new Uri(instance, "/metrics"), cancellationToken);
}
