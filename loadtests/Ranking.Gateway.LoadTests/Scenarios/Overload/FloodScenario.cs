using System.Diagnostics;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios.Overload;

/// <summary>
/// Issue 10's flood: one instance, the demo data, --concurrency connections reading a never-seen group id per request.
/// Reads of known groups from a second client must keep their p99 within 2× of their p99 under an equally sized flood
/// of known-group reads (unknown ids may cost no more than hits), and PostgreSQL must never run more Top-N queries at
/// once than the bulkhead allows. Both floods run against the instance with default settings (since issue 22 the
/// known-groups filter is on by default: an unknown id is a 404 without a query, but for the filter's false positives),
/// then against a second instance with Ranking:RejectUnknownGroups=true set explicitly.
/// </summary>
internal static class FloodScenario
{
    public const string RejectLabel = "reject-unknown";
    public const string RejectSetting = "Ranking:RejectUnknownGroups=true";

    // The gateway's default Ranking:KnownGroupsFalsePositiveRate.
    private const double FalsePositiveBound = 0.01;

    public static async Task RunAsync(TestBed bed, RunReport report, CancellationToken cancellationToken)
    {
        var args = bed.Args;
        var (maxFetches, maxQueued) = Bulkhead(bed);
        var rejecting = await StartRejectingAsync(bed, cancellationToken);
        report.Setup.Add($"gateway-reject started beside the instance, configured as it is plus {RejectSetting}; both warmed up.");
        report.Setup.Add($"Bulkhead: MaxConcurrentFetches {maxFetches}, MaxQueuedFetches {maxQueued} per instance. "
            + $"Fresh window {(args.Fresh is { } fresh ? $"{fresh.TotalMinutes:0.#} min" : "as configured")}, so no known group is refreshed during the run.");

        var fill = await SteadyLoad.FillAsync(bed, args.Groups, cancellationToken);
        report.Phases.Add(fill);
        StandardChecks.AllAnswered(report, fill);

        // The second client: a connection pool of its own, like a second wrk.
        using var probeClient = new LoadClient();
        FloodTarget[] targets = [Default(bed), rejecting];
        var results = new List<FloodResult>();
        foreach (var target in targets)
        {
            foreach (var unknownIds in new[] { false, true })
            {
                var result = await FloodPhase.RunAsync(bed, target, unknownIds, probeClient, args.Duration, cancellationToken);
                results.Add(result);
                report.Phases.Add(result.Flood);
                report.Phases.Add(result.Probe);
            }
        }

        Check(report, results, maxFetches);
        report.Tables.Add(FloodTable.Of(results, maxFetches, maxQueued));
        report.Bars.Add(new BarSet(
            "Known reads from the second client: p99 under each flood (ms)",
            [.. results.Select(r => new Bar($"{r.Target.Label}, {(r.UnknownIds ? "unknown" : "known")}", r.Probe.Latency.P99, $"{PhaseTable.Ms(r.Probe.Latency.P99)} ms"))]));
        report.Bars.Add(new BarSet(
            "Top-N queries per second during each flood",
            [.. results.Select(r => new Bar($"{r.Target.Label}, {(r.UnknownIds ? "unknown" : "known")}", r.QueriesPerSecond, PhaseTable.N(r.QueriesPerSecond)))]));
        var defaultUnknown = results.First(r => r.UnknownIds);
        report.Timeline = (defaultUnknown.Probe, []);
    }

    /// <summary>The ranking policy's bulkhead as the instances were started (the gateway's defaults: 32 and 32).</summary>
    public static (int MaxConcurrentFetches, int MaxQueuedFetches) Bulkhead(TestBed bed)
    {
        var policy = $"Gateway:Policies:{GatewaySettings.Find(bed.InstanceSettings, "Ranking:Policy") ?? "ranking"}";
        return (GatewaySettings.Int(bed.InstanceSettings, $"{policy}:MaxConcurrentFetches", 32), GatewaySettings.Int(bed.InstanceSettings, $"{policy}:MaxQueuedFetches", 32));
    }

    /// <summary>The scenario's own instance, with default settings: the known-groups filter, then the bulkhead, stand between a flood and PostgreSQL.</summary>
    public static FloodTarget Default(TestBed bed) => new("default", bed.Started[0], bed.Origin);

    /// <summary>Starts an instance with Ranking:RejectUnknownGroups=true beside the scenario's and waits until it knows the groups.</summary>
    public static async Task<FloodTarget> StartRejectingAsync(TestBed bed, CancellationToken cancellationToken)
    {
        var gateway = await bed.StartVariantAsync("gateway-reject", [RejectSetting]);
        await WaitForKnownGroupsAsync(bed, gateway.Url, cancellationToken);
        await Warmup.TargetAsync(bed.Client, (_, _) => (bed.RankingUri(gateway.Url, "lt-warmup"), 0));
        return new FloodTarget(RejectLabel, gateway, new OriginCounter(bed.Postgres, bed.Args.Database, bed.Client.Http, [gateway.Url]));
    }

    /// <summary>The checks every unknown-id flood must pass: only 404s (or 503s past the bulkhead), PostgreSQL within the bulkhead, the known reads beside it answered.</summary>
    public static void CheckUnknownFlood(RunReport report, FloodResult r, int maxFetches)
    {
        StandardChecks.AllAnswered(report, r.Probe);
        StandardChecks.OriginCountsAgree(report, r.Flood);
        var unexpected = r.Flood.Samples.Count(s => s.StatusCode is not (404 or 503));
        report.Hard(
            $"{r.Flood.Name}: answered 404, or 503 past the bulkhead", "nothing else, 0 errors",
            $"{r.Answered(404):N0}× 404, {r.Answered(503):N0}× 503, {unexpected:N0} other (of which {r.Flood.Errors:N0} errors)",
            unexpected == 0);
        CheckConcurrency(report, r, maxFetches);
        // Both instances filter unknown ids (the known-groups filter is on by default with a PostgreSQL origin): an id
        // reaches PostgreSQL only as one of the filter's false positives (at most Ranking:KnownGroupsFalsePositiveRate,
        // 1% by default, while the groups fit the filter's size). The known reads beside the flood are counted too: each of
        // their MISS, STALE or BYPASS answers may be one query (a fill that fell back to BYPASS leaves them uncached).
        var known = r.Probe.Answers[CacheAnswer.Miss] + r.Probe.Answers[CacheAnswer.Stale] + r.Probe.Answers[CacheAnswer.Bypass];
        var falsePositives = (long)Math.Ceiling(r.Flood.Samples.Length * FalsePositiveBound);
        var queries = r.Flood.Origin?.Queries;
        report.Hard(
            $"{r.Flood.Name}: Top-N queries for unknown ids (the known-groups filter)",
            $"≤ {FalsePositiveBound:P0} of the flood ({falsePositives:N0}) + one per known read's MISS, STALE or BYPASS ({known:N0})",
            queries is null ? "not counted" : $"{queries:N0} in all ({(double)queries / Math.Max(1, r.Flood.Samples.Length):P2} of the flood)",
            queries <= falsePositives + known);
    }

    private static void CheckConcurrency(RunReport report, FloodResult r, int maxFetches) => report.Hard(
        $"{r.Flood.Name}: Top-N queries PostgreSQL ran at once", $"≤ {maxFetches} (MaxConcurrentFetches × 1 instance)",
        $"peak {r.PeakTopN} in {r.Activity.Count:N0} pg_stat_activity readings (mean {r.MeanTopN:0.0})",
        r.PeakTopN <= maxFetches && r.Activity.Count > 0);

    private static void Check(RunReport report, List<FloodResult> results, int maxFetches)
    {
        foreach (var r in results)
        {
            if (r.UnknownIds)
            {
                CheckUnknownFlood(report, r, maxFetches);
            }
            else
            {
                StandardChecks.AllAnswered(report, r.Probe);
                StandardChecks.OriginCountsAgree(report, r.Flood);
                StandardChecks.AllAnswered(report, r.Flood);
                CheckConcurrency(report, r, maxFetches);
            }

            if (FloodTable.BaselineOf(results, r) is { } baseline && r.UnknownIds)
            {
                var ratio = FloodTable.Ratio(r, baseline);
                report.Target(
                    $"{r.Target.Label}: known reads' p99 under the unknown-id flood", "≤ 2× their p99 under the known-id flood",
                    $"{ratio:0.00}× ({StandardChecks.Ms(r.Probe.Latency.P99)} vs {StandardChecks.Ms(baseline.Probe.Latency.P99)})",
                    ratio <= 2);
            }
        }

        foreach (var r in results.Where(r => !r.UnknownIds))
        {
            report.Notes.Add($"{r.Flood.Name}: {r.Flood.Origin?.Queries:N0} Top-N queries (every known group was cached by the fill and stays fresh).");
        }

        var flooded = results.First(r => r.UnknownIds);
        report.Notes.Add($"{flooded.Flood.Name}: {flooded.Flood.Origin?.Queries:N0} Top-N queries for {flooded.Flood.Samples.Length:N0} never-seen ids "
            + $"({flooded.QueriesPerSecond:N0}/s), {flooded.Answered(503):N0} answered 503 by the bulkhead.");
    }

    // Until the gateway has read the known groups, nothing is rejected: an unknown id goes through the cache (an
    // X-Cache-Status header); once it has, the 404 comes without one.
    public static async Task WaitForKnownGroupsAsync(TestBed bed, Uri gateway, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        for (var attempt = 0; clock.Elapsed < TimeSpan.FromSeconds(30); attempt++)
        {
            using var response = await bed.Client.Http.GetAsync(bed.RankingUri(gateway, $"lt-known-{attempt}"), cancellationToken);
            if ((int)response.StatusCode == 404 && !response.Headers.Contains("X-Cache-Status"))
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new SetupException($"{gateway} did not start rejecting unknown groups within 30 s ({RejectSetting}).");
    }
}
