namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>
/// The gateway counters compare-modes reads from <c>/metrics</c>, summed over instances. A counter appears in a
/// scrape only once it has counted something, and the refresh-mode ones only in a gateway that has them, so a
/// missing one is "n/a", never 0.
/// </summary>
internal sealed record GatewayCounters(IReadOnlyDictionary<string, double> Values)
{
    public const string OriginQueries = "gateway_origin_queries_total";
    public const string CacheLockAttempts = "gateway_cache_lock_attempts_total";
    public const string RefreshLockAttempts = "gateway_refresh_lock_attempts_total";
    public const string RefreshGroups = "gateway_refresh_groups_total";
    public const string CycleSeconds = "gateway_refresh_cycle_duration_seconds_sum";
    public const string Cycles = "gateway_refresh_cycle_duration_seconds_count";
    public const string Enqueued = "gateway_refresh_enqueued_total";
    public const string Batches = "gateway_origin_batches_total";
    public const string DeadLettered = "gateway_refresh_dead_lettered_total";
    public const string FetchesRejected = "gateway_origin_rejected_total";
    public const string RedisFailures = "gateway_redis_failures_total";

    public static readonly GatewayCounters None = new(new Dictionary<string, double>());

    // Each counter, and the label it is broken down by (null: summed over every series).
    private static readonly (string Metric, string? By)[] Read =
    [
        (OriginQueries, null),
        (CacheLockAttempts, "outcome"),
        (RefreshLockAttempts, "outcome"),
        (RefreshGroups, "outcome"),
        (CycleSeconds, null),
        (Cycles, null),
        (Enqueued, "source"),
        (Batches, "outcome"),
        (DeadLettered, null),
        (FetchesRejected, null),
        (RedisFailures, null),
    ];

    public static GatewayCounters Parse(string scrape)
    {
        var values = new Dictionary<string, double>();
        foreach (var (metric, by) in Read)
        {
            if (by is null)
            {
                if (PrometheusText.Has(scrape, metric))
                {
                    values[metric] = PrometheusText.Sum(scrape, metric);
                }

                continue;
            }

            foreach (var (value, sum) in PrometheusText.SumBy(scrape, metric, by))
            {
                values[Key(metric, value)] = sum;
            }
        }

        return new GatewayCounters(values);
    }

    public GatewayCounters Plus(GatewayCounters other) =>
        new(Values.Keys.Union(other.Values.Keys).ToDictionary(k => k, k => Values.GetValueOrDefault(k) + other.Values.GetValueOrDefault(k)));

    /// <summary>What was counted since <paramref name="before"/> (a counter new since then started from 0).</summary>
    public GatewayCounters Since(GatewayCounters before) =>
        new(Values.ToDictionary(v => v.Key, v => v.Value - before.Values.GetValueOrDefault(v.Key)));

    /// <summary>The counter summed over its breakdown, or null when no instance exported it.</summary>
    public double? Total(string metric)
    {
        var series = Values.Where(v => v.Key == metric || v.Key.StartsWith(metric + "/", StringComparison.Ordinal)).ToArray();
        return series.Length == 0 ? null : series.Sum(v => v.Value);
    }

    /// <summary>Groups a background refresher recomputed and stored (<c>gateway_refresh_groups_total{outcome="refreshed"}</c>).</summary>
    public long Refreshed => (long)By(RefreshGroups).GetValueOrDefault("refreshed");

    /// <summary>The counter by its breakdown label's values (empty when no instance exported it).</summary>
    public IReadOnlyDictionary<string, double> By(string metric) =>
        Values.Where(v => v.Key.StartsWith(metric + "/", StringComparison.Ordinal)).ToDictionary(v => v.Key[(metric.Length + 1)..], v => v.Value);

    private static string Key(string metric, string labelValue) => $"{metric}/{labelValue}";
}
