using System.Diagnostics;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>
/// A Zipf-skewed read mix over many groups, on a warm cache: first every group is read once (one origin query
/// per group across all instances), then the mix runs; while every entry is still in its fresh window, the
/// mix must cause no origin query at all.
/// </summary>
internal static class SteadyScenario
{
    // appsettings.json's fresh window; the jitter only lengthens it.
    private static readonly TimeSpan DefaultFresh = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(TestBed bed, RunReport report, CancellationToken cancellationToken)
    {
        var args = bed.Args;
        report.Baselines = await Baselines.MeasureAsync(bed, args.Groups, cancellationToken);
        var clock = Stopwatch.StartNew();
        var fill = await SteadyLoad.FillAsync(bed, args.Groups, cancellationToken);
        report.Phases.Add(fill);

        // Without --rate or --concurrency: find the mix's own peak (closed loop), then run at half of it.
        var halfPeak = args.Rate is null && args.Concurrency is null;
        var rate = args.Rate;
        if (halfPeak)
        {
            var peakLength = args.BaselineDuration > TimeSpan.Zero ? args.BaselineDuration : TimeSpan.FromSeconds(5);
            var peak = await SteadyLoad.RunAsync(bed, "steady peak", args.Groups, null, args.BaselineConcurrency, peakLength, cancellationToken);
            report.Phases.Add(peak);
            StandardChecks.AllAnswered(report, peak);
            rate = peak.RequestsPerSecond / 2;
            report.Notes.Add($"steady: run open loop at half the mix's closed-loop peak ({peak.RequestsPerSecond:N0} req/s over {bed.Gateways.Count} instance(s)).");
        }

        var phase = await SteadyLoad.RunAsync(bed, halfPeak ? "steady @50%" : "steady", args.Groups, rate, args.Concurrency, args.Duration, cancellationToken);
        report.Phases.Add(phase);
        report.Timeline = (phase, []);

        StandardChecks.Baselines(report, report.Baselines);
        StandardChecks.AllAnswered(report, fill);
        StandardChecks.AllAnswered(report, phase);
        StandardChecks.OriginCountsAgree(report, fill);
        StandardChecks.OriginCountsAgree(report, phase);

        // Exact only for gateways this runner configured and started with an empty cache.
        var fresh = args.StartsInstances && !args.Settings.Any(s => s.Contains(":Fresh", StringComparison.OrdinalIgnoreCase)) ? args.Fresh ?? DefaultFresh : (TimeSpan?)null;
        if (fresh is not null)
        {
            StandardChecks.OriginExactly(report, fill, args.Groups, "one origin query per group, across instances");
        }

        if (fresh is { } window && clock.Elapsed < window)
        {
            StandardChecks.OriginExactly(report, phase, 0, "origin queries while every entry is fresh");
        }
        else
        {
            report.Notes.Add($"steady: {phase.Origin?.Queries:N0} origin queries for {phase.DistinctGroups:N0} distinct groups read (fill and mix took longer than one known fresh window, so refreshes are expected).");
        }

        var freshLatency = phase.LatencyOf(CacheAnswer.Fresh);
        if (halfPeak)
        {
            report.Target("steady: FRESH p99 at half of peak, Zipf mix", "≤ 2 ms", $"{StandardChecks.Ms(freshLatency.P99)} ({freshLatency.Count:N0} FRESH answers)", freshLatency.P99 <= 2.0);
        }

        report.Notes.Add($"steady answers: {Share(phase, CacheAnswer.Fresh)} FRESH, {Share(phase, CacheAnswer.Stale)} STALE, {Share(phase, CacheAnswer.Miss)} MISS, {Share(phase, CacheAnswer.Bypass)} BYPASS; {phase.DistinctGroups:N0} distinct groups read.");
    }

    private static string Share(PhaseResult phase, CacheAnswer answer) =>
        phase.Samples.Length == 0 ? "0" : $"{phase.Answers[answer]:N0} ({100.0 * phase.Answers[answer] / phase.Samples.Length:0.#}%)";
}
