namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>Reads counters from the instances' <c>/metrics</c>, each summed over its series and the instances.</summary>
internal sealed class MetricReader(HttpClient http, IReadOnlyList<Uri> instances)
{
    // Bulkhead rejections: each is a MISS answered 503 without asking the origin.
    public const string OriginRejected = "gateway_origin_rejected_total";

    // Redis commands that failed or timed out (each may trip the circuit breaker).
    public const string RedisFailures = "gateway_redis_failures_total";

    // The Prometheus exporter caches a scrape for 300 ms (as OriginCounter waits for).
    private static readonly TimeSpan ScrapeCache = TimeSpan.FromMilliseconds(400);

    /// <returns>Each metric's sum, in the order asked for, from one scrape of every instance.</returns>
    public async Task<double[]> ReadAsync(string[] metrics, CancellationToken cancellationToken)
    {
        await Task.Delay(ScrapeCache, cancellationToken);
        var scrapes = await Task.WhenAll(instances.Select(i => http.GetStringAsync(new Uri(i, "/metrics"), cancellationToken)));
        return [.. metrics.Select(m => scrapes.Sum(s => PrometheusText.Sum(s, m)))];
    }
}
