namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>
/// Takes <see cref="CostSnapshot"/>s: every source is read at once, so a snapshot is close to one moment. Instances
/// may join (<see cref="Add"/>: counted from zero) and leave (<see cref="Retire"/>: their last reading stays), so a
/// window across a join or a leave still adds up.
/// </summary>
internal sealed class CostProbe(SqlStatsReader sql, RedisStatsReader redis, HttpClient http, IReadOnlyList<Uri> instances, IReadOnlyList<Func<TimeSpan>> cpu)
{
    private readonly List<Slot> _slots = [.. instances.Zip(cpu, (url, readCpu) => new Slot(url, readCpu))];

    public void Add(Uri instance, Func<TimeSpan> readCpu) => _slots.Add(new Slot(instance, readCpu));

    /// <summary>The instance is going away: from now on it counts as it did at its last snapshot.</summary>
    public void Retire(Uri instance) => _slots.Single(s => s.Url == instance).Retired = true;

    public async Task<CostSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var at = DateTimeOffset.UtcNow;
        var live = _slots.Where(s => !s.Retired).ToArray();
        foreach (var slot in live)
        {
            slot.Cpu = slot.ReadCpu();
        }

        var sqlTask = sql.ReadAsync(cancellationToken);
        var redisTask = redis.ReadAsync(cancellationToken);
        var scrapes = await Task.WhenAll(live.Select(s => ScrapeAsync(s.Url, cancellationToken)));
        for (var i = 0; i < live.Length; i++)
        {
            live[i].Counters = GatewayCounters.Parse(scrapes[i]);
        }

        var metrics = _slots.Aggregate(GatewayCounters.None, (sum, next) => sum.Plus(next.Counters));
        return new CostSnapshot(at, await sqlTask, await redisTask, metrics, [.. _slots.Select(s => s.Cpu)],
            [.. _slots.Select(s => s.Counters.Total(GatewayCounters.OriginQueries) ?? 0)]);
    }

    public Task<string[]> ScrapeAllAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_slots.Where(s => !s.Retired).Select(s => ScrapeAsync(s.Url, cancellationToken)));

    private Task<string> ScrapeAsync(Uri instance, CancellationToken cancellationToken) =>
        http.GetStringAsync(new Uri(instance, "/metrics"), cancellationToken);

    private sealed class Slot(Uri url, Func<TimeSpan> readCpu)
    {
        public Uri Url { get; } = url;

        public Func<TimeSpan> ReadCpu { get; } = readCpu;

        public bool Retired { get; set; }

        public TimeSpan Cpu { get; set; }

        public GatewayCounters Counters { get; set; } = GatewayCounters.None;
    }
}
