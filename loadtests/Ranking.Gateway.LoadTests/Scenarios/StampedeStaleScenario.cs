using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>
/// Many clients at once on a group whose entry is stale, with the origin made slow: every client must be
/// answered at once from the stale copy while exactly one background refresh queries the origin.
/// </summary>
internal static class StampedeStaleScenario
{
    public static async Task RunAsync(TestBed bed, RunReport report, CancellationToken cancellationToken)
    {
        var args = bed.Args;
        report.Baselines = await Baselines.MeasureAsync(bed, args.Groups, cancellationToken);

        var group = Stampede.PickGroup(args);
        await Stampede.WarmAsync(bed, args.Clients);
        var warm = await Stampede.ReadEntryAsync(bed, group, cancellationToken);
        report.Notes.Add($"Warm-up read of {group}: {warm.Status} in {warm.Latency.TotalMilliseconds:N0} ms (the origin's latency as a miss sees it; origin delay {args.OriginDelay.TotalSeconds:0.###} s).");

        // The same burst on the entry while it is still fresh: what the stale burst's latency is compared with.
        PhaseResult? fresh = null;
        if (warm.StaleAt - DateTimeOffset.UtcNow > TimeSpan.FromSeconds(1.5))
        {
            fresh = await Stampede.RunAsync(
                bed, "fresh burst", $"{args.Clients:N0} clients at once, {group} fresh (for comparison)", group, args.Clients,
                countOrigin: false, TimeSpan.Zero, cancellationToken);
            report.Phases.Add(fresh);
        }
        else
        {
            report.Notes.Add("The fresh window was too short to measure a fresh burst of the same size before the entry went stale.");
        }

        var before = await bed.Origin.ReadSettledAsync(null, 0, TimeSpan.FromSeconds(5), cancellationToken);
        await Stampede.WaitUntilAsync(warm.StaleAt, cancellationToken);
        Console.Error.WriteLine($"Stale stampede: {args.Clients:N0} clients on {group} over {bed.Gateways.Count} instance(s) ...");
        var phase = await Stampede.RunAsync(
            bed, "stale stampede", $"{args.Clients:N0} clients at once, {group} stale, origin slow", group, args.Clients,
            countOrigin: false, TimeSpan.Zero, cancellationToken);
        var after = await bed.Origin.ReadSettledAsync(before, 1, args.OriginDelay + TimeSpan.FromSeconds(20), cancellationToken);
        phase.Origin = after.Since(before);
        report.Phases.Add(phase);

        StandardChecks.Baselines(report, report.Baselines);
        StandardChecks.AllAnswered(report, phase);
        StandardChecks.OriginExactly(report, phase, 1, "origin queries (background refreshes) across instances");
        StandardChecks.OriginCountsAgree(report, phase);

        var stale = phase.LatencyOf(CacheAnswer.Stale);
        var originMs = warm.Latency.TotalMilliseconds;
        var freshP99 = fresh?.Latency.P99 ?? double.NaN;
        report.Target(
            "STALE p99 independent of the origin's latency",
            "≤ 10% of the origin latency and ≤ 2× the fresh burst's p99",
            $"{StandardChecks.Ms(stale.P99)} (origin {originMs:N0} ms; fresh burst p99 {StandardChecks.Ms(freshP99)})",
            stale.Count > 0 && stale.P99 <= originMs / 10 && (double.IsNaN(freshP99) || stale.P99 <= 2 * freshP99));
        report.Notes.Add($"Stale burst answers: {phase.Answers[CacheAnswer.Stale]:N0} STALE, {phase.Answers[CacheAnswer.Fresh]:N0} FRESH "
            + $"(arrived after the refresh), {phase.Answers[CacheAnswer.Miss]:N0} MISS.");
    }
}
