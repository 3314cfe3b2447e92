using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios.Overload;

/// <summary>The floods side by side: what each cost PostgreSQL and what the known reads beside it saw.</summary>
internal static class FloodTable
{
    public static ReportTable Of(IReadOnlyList<FloodResult> results, int maxConcurrentFetches, int maxQueuedFetches)
    {
        string[] header =
        [
            "gateway", "flood", "flood req/s", "200 / 404 / 503 / other", "Top-N queries (/s)", "Top-N at once: peak (mean)",
            "PG connections, peak", "known reads p50 / p99 / max ms", "p99 vs known flood", "RSS before → max → after",
        ];
        var rows = results.Select(r =>
        {
            var other = r.Flood.Samples.Length - r.Answered(200) - r.Answered(404) - r.Answered(503);
            var probe = r.Probe.Latency;
            var baseline = BaselineOf(results, r);
            return new[]
            {
                r.Target.Label,
                r.Kind,
                PhaseTable.N(r.Flood.RequestsPerSecond),
                $"{PhaseTable.N(r.Answered(200))} / {PhaseTable.N(r.Answered(404))} / {PhaseTable.N(r.Answered(503))} / {PhaseTable.N(other)}",
                r.Flood.Origin is { } origin ? $"{PhaseTable.N(origin.Queries)} ({PhaseTable.N(r.QueriesPerSecond)})" : "n/a",
                $"{r.PeakTopN} ({r.MeanTopN:0.0})",
                PhaseTable.N(r.PeakConnections),
                $"{PhaseTable.Ms(probe.P50)} / {PhaseTable.Ms(probe.P99)} / {PhaseTable.Ms(probe.Max)}",
                baseline is null ? "–" : $"{Ratio(r, baseline):0.00}×",
                Memory(r),
            };
        }).ToArray();
        string[] notes =
        [
            $"Top-N queries: pg_stat_statements calls during the flood. Top-N at once: pg_stat_activity read every 50 ms (state active, the Top-N query); "
                + $"the bulkhead allows {maxConcurrentFetches} per instance (MaxConcurrentFetches), {maxQueuedFetches} more wait (MaxQueuedFetches), past that a MISS answers 503.",
            "Known reads: the second client's open-loop reads of known groups while the flood ran; p99 vs known flood divides their p99 by the same gateway's under the known-id flood.",
            "RSS: the gateway's VmRSS just before the flood, the most read once a second during it, and the last reading.",
        ];
        return new ReportTable("Floods", header, rows, notes);
    }

    /// <summary>The known-id flood of the same gateway, whose probe p99 the others are divided by.</summary>
    public static FloodResult? BaselineOf(IReadOnlyList<FloodResult> results, FloodResult result) =>
        results.FirstOrDefault(b => b.Target == result.Target && !b.UnknownIds);

    public static double Ratio(FloodResult result, FloodResult baseline) => result.Probe.Latency.P99 / baseline.Probe.Latency.P99;

    private static string Memory(FloodResult r) =>
        r.MemoryBefore is { } before && r.Memory.Count > 0
            ? $"{MemoryReading.MiB(before.Rss)} → {MemoryReading.MiB(r.Memory.Max(m => m.Value.Rss))} → {MemoryReading.MiB(r.Memory[^1].Value.Rss)}"
            : "n/a";
}
