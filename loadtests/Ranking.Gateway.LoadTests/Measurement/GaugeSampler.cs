namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>
/// Polls the instances' queue gauges once a second and keeps the largest value each reached (over time and
/// instances): one reading at the end of a window says little about a queue that fills and drains every period.
/// </summary>
internal static class GaugeSampler
{
    public static readonly string[] Gauges =
        ["gateway_queue_length", "gateway_queue_pending", "gateway_queue_dead_letters", "gateway_queue_oldest_change_age_seconds"];

    /// <returns>The largest value of each gauge any instance exported; gauges none exported are missing.</returns>
    public static async Task<IReadOnlyDictionary<string, double>> RunAsync(CostProbe probe, TimeSpan length, CancellationToken cancellationToken)
    {
        var max = new Dictionary<string, double>();
        var end = DateTimeOffset.UtcNow + length;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (DateTimeOffset.UtcNow < end && await timer.WaitForNextTickAsync(cancellationToken))
        {
            foreach (var scrape in await probe.ScrapeAllAsync(cancellationToken))
            {
                foreach (var gauge in Gauges)
                {
                    if (PrometheusText.Max(scrape, gauge) is { } value)
                    {
                        max[gauge] = Math.Max(max.GetValueOrDefault(gauge, double.MinValue), value);
                    }
                }
            }
        }

        return max;
    }
}
