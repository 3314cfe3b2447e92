using System.Diagnostics;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>
/// Issue 10's stalled Redis: steady load while Redis is frozen (SIGSTOP) for --outage-for. Every request must still be
/// answered, the circuit breaker must open on the first timeouts so that p99 over the whole run stays
/// ≤ 2 × Gateway:RedisTimeout, and caching must resume within Gateway:RedisBreakDuration + 1 s of SIGCONT. The
/// baseline is the same load before the freeze.
/// </summary>
internal static class RedisFreezeScenario
{
    public static async Task RunAsync(TestBed bed, RunReport report, CancellationToken cancellationToken)
    {
        var args = bed.Args;
        var timeout = GatewaySettings.Time(bed.InstanceSettings, "Gateway:RedisTimeout", TimeSpan.FromMilliseconds(500));
        var breakDuration = GatewaySettings.Time(bed.InstanceSettings, "Gateway:RedisBreakDuration", TimeSpan.FromSeconds(5));
        report.Setup.Add($"Freeze: {bed.Redis.Description}, SIGSTOP at {args.OutageAt.TotalSeconds:0.#} s, SIGCONT {args.OutageFor.TotalSeconds:0.#} s later; "
            + $"Gateway:RedisTimeout {timeout.TotalSeconds:0.###} s, Gateway:RedisBreakDuration {breakDuration.TotalSeconds:0.###} s.");

        var fill = await SteadyLoad.FillAsync(bed, args.Groups, cancellationToken);
        report.Phases.Add(fill);
        StandardChecks.AllAnswered(report, fill);
        var freeze = await RedisFreeze.RunAsync(bed, "redis freeze", args.Rate ?? 1000, args.Duration, args.OutageAt, args.OutageFor, cancellationToken);
        var phase = freeze.Phase;
        report.Phases.Add(phase);
        report.Timeline = (phase, freeze.Markers);

        StandardChecks.AllAnswered(report, phase);
        StandardChecks.OriginCountsAgree(report, phase);
        report.Target(
            "p99 over the run", $"≤ 2 × RedisTimeout = {StandardChecks.Ms(2 * timeout.TotalMilliseconds)}",
            $"{StandardChecks.Ms(phase.Latency.P99)} (max {StandardChecks.Ms(phase.Latency.Max)})",
            phase.Latency.P99 <= 2 * timeout.TotalMilliseconds);
        report.Target(
            "caching resumed after SIGCONT (first answer through Redis: FRESH, STALE or MISS)", $"≤ RedisBreakDuration + 1 s = {(breakDuration + TimeSpan.FromSeconds(1)).TotalSeconds:0.#} s",
            $"{Seconds(freeze.Resumed)} after SIGCONT; the last BYPASS {Seconds(freeze.LastBypass)} after it",
            freeze.Resumed is { } resumed && resumed <= breakDuration + TimeSpan.FromSeconds(1));
        report.Tables.Add(Stretches(freeze));
        report.Notes.Add($"{phase.Answers[CacheAnswer.Bypass]:N0} BYPASS answers ({100 * freeze.BypassShare:0.#}% of the run), "
            + $"the first {Seconds(freeze.FirstBypass)} after SIGSTOP.");
        report.Notes.Add($"The gateways counted {freeze.RedisFailures:N0} failed Redis commands (gateway_redis_failures_total) and turned away {freeze.Rejected:N0} origin fetches "
            + "because the bulkhead was full (gateway_origin_rejected_total; each such read is answered 503).");
        report.Notes.Add($"Origin queries during the run: {phase.Origin?.Queries:N0} for {phase.DistinctGroups:N0} distinct groups (BYPASS reads go to the origin once per group per instance per L1 period).");
    }

    // The run cut at the freeze, the thaw and the last BYPASS: latency and answers in each stretch, by when each request was sent.
    private static ReportTable Stretches(RedisFreezeResult freeze)
    {
        var phase = freeze.Phase;
        var backAt = freeze.ThawedAt + (freeze.LastBypass ?? freeze.Resumed ?? TimeSpan.Zero);
        (string Name, TimeSpan From, TimeSpan To)[] stretches =
        [
            ("before the freeze (baseline)", TimeSpan.Zero, freeze.FrozenAt),
            ("frozen", freeze.FrozenAt, freeze.ThawedAt),
            ("thawed, until the last BYPASS", freeze.ThawedAt, backAt),
            ("after the last BYPASS", backAt, phase.Elapsed + TimeSpan.FromSeconds(1)),
        ];
        string[] header = ["stretch", "from s", "to s", "requests", "p50 ms", "p99 ms", "max ms", "BYPASS", "non-2xx + errors"];
        var rows = stretches.Select(w =>
        {
            var inside = phase.Samples.Where(s => Stopwatch.GetElapsedTime(0, s.StartTicks) is var at && at >= w.From && at < w.To).ToArray();
            var latency = LatencySummary.Of(inside);
            return new[]
            {
                w.Name, $"{w.From.TotalSeconds:0.0}", $"{Math.Min(w.To.TotalSeconds, phase.Elapsed.TotalSeconds):0.0}", PhaseTable.N(inside.Length),
                PhaseTable.Ms(latency.P50), PhaseTable.Ms(latency.P99), PhaseTable.Ms(latency.Max),
                PhaseTable.N(inside.Count(s => s.Answer == CacheAnswer.Bypass)), PhaseTable.N(inside.Count(s => !s.IsSuccess)),
            };
        }).ToArray();
        return new ReportTable("The run, stretch by stretch (by when each request was sent)", header, rows, []);
    }

    internal static string Seconds(TimeSpan? span) => span is { } s ? $"{s.TotalSeconds:0.00} s" : "never";
}
