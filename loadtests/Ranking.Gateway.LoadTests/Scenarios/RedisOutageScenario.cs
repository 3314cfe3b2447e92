using System.Diagnostics;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>
/// Steady load while Redis is stopped and started again: every request must still be answered (BYPASS,
/// straight from the origin), and answers must come from the cache again soon after Redis is back.
/// </summary>
internal static class RedisOutageScenario
{
    public static async Task RunAsync(TestBed bed, RunReport report, CancellationToken cancellationToken)
    {
        var args = bed.Args;
        report.Baselines = await Baselines.MeasureAsync(bed, args.Groups, cancellationToken);
        var markers = new List<Marker>();
        TimeSpan stoppedAt = default, startedAt = default;

        async Task OutageAsync(long phaseStart)
        {
            await Task.Delay(args.OutageAt, cancellationToken);
            await bed.Redis.StopAsync();
            stoppedAt = Stopwatch.GetElapsedTime(phaseStart);
            markers.Add(new Marker(stoppedAt, "Redis stopped"));
            await Task.Delay(args.OutageAt + args.OutageFor - stoppedAt, cancellationToken);
            await bed.Redis.StartAsync();
            startedAt = Stopwatch.GetElapsedTime(phaseStart);
            markers.Add(new Marker(startedAt, "Redis back"));
        }

        report.Setup.Add($"Outage: {bed.Redis.Description} ({bed.Redis.StopStart}), stopped at {args.OutageAt.TotalSeconds:0.#} s for {args.OutageFor.TotalSeconds:0.#} s.");
        var fill = await SteadyLoad.FillAsync(bed, args.Groups, cancellationToken);
        report.Phases.Add(fill);
        StandardChecks.AllAnswered(report, fill);
        var phase = await SteadyLoad.RunAsync(bed, "redis outage", args.Groups, args.Rate, args.Concurrency, args.Duration, cancellationToken, OutageAsync);
        report.Phases.Add(phase);
        report.Timeline = (phase, markers);

        StandardChecks.Baselines(report, report.Baselines);
        StandardChecks.AllAnswered(report, phase);
        StandardChecks.OriginCountsAgree(report, phase);

        var bypass = phase.Samples.Where(s => s.Answer == CacheAnswer.Bypass).Select(s => Stopwatch.GetElapsedTime(0, s.StartTicks)).ToArray();
        var firstBypass = bypass.Length > 0 ? bypass.Min() - stoppedAt : (TimeSpan?)null;
        var lastBypass = bypass.Length > 0 ? bypass.Max() - startedAt : (TimeSpan?)null;
        var cachedBack = CachedAgainAfter(phase, startedAt);
        report.Target(
            "Redis used again after it is back", "last BYPASS ≤ 10 s after the restart",
            $"last BYPASS {Seconds(lastBypass)} after the restart",
            lastBypass is null || lastBypass <= TimeSpan.FromSeconds(10));
        report.Notes.Add($"{phase.Answers[CacheAnswer.Bypass]:N0} BYPASS answers, from {Seconds(firstBypass)} after Redis stopped to {Seconds(lastBypass)} after it was back.");
        report.Notes.Add($"The restarted Redis is empty, so the cache refills: FRESH/STALE answers were back to ≥ 90% of a second's answers {Seconds(cachedBack)} after the restart.");
        report.Notes.Add($"Origin queries during the run: {phase.Origin?.Queries:N0} for {phase.DistinctGroups:N0} distinct groups (BYPASS reads go to the origin once per group per instance per L1 period; then the refill).");
    }

    /// <summary>From the restart to the end of the first whole second in which ≥ 90% of the answers came from the cache.</summary>
    private static TimeSpan? CachedAgainAfter(PhaseResult phase, TimeSpan startedAt)
    {
        var seconds = phase.PerSecond();
        for (var second = (int)Math.Ceiling(startedAt.TotalSeconds); second < seconds.Count; second++)
        {
            var answers = seconds[second];
            if (answers.Length > 0 && answers.Count(s => s.Answer is CacheAnswer.Fresh or CacheAnswer.Stale) >= 0.9 * answers.Length)
            {
                return TimeSpan.FromSeconds(second + 1) - startedAt;
            }
        }

        return null;
    }

    private static string Seconds(TimeSpan? span) => span is { } s ? $"{Math.Max(0, s.TotalSeconds):0.0} s" : "never";
}
