using System.Diagnostics;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>
/// Steady load while the gateways' Redis (a redis-server of the run's own) is frozen with SIGSTOP and thawed with
/// SIGCONT: unlike a stopped Redis, a frozen one keeps its connections open and answers nothing, so only timeouts tell.
/// Every request must still be answered, the circuit breaker must open on the first timeouts so that p99 over the whole
/// run stays ≤ 2 × Gateway:RedisTimeout, and caching must resume within Gateway:RedisBreakDuration + 1 s of SIGCONT.
/// The baseline is the same load before the freeze.
/// </summary>
internal static class RedisFreezeScenario
{
    public static async Task RunAsync(TestBed bed, RunReport report, CancellationToken cancellationToken)
    {
        var args = bed.Args;
        var redis = bed.Redis as PrivateRedis ?? throw new SetupException("redis-freeze needs a redis-server of the run's own.");
        var timeout = GatewaySettings.Time(bed.InstanceSettings, "Gateway:RedisTimeout", TimeSpan.FromMilliseconds(500));
        var breakDuration = GatewaySettings.Time(bed.InstanceSettings, "Gateway:RedisBreakDuration", TimeSpan.FromSeconds(5));
        var markers = new List<Marker>();
        TimeSpan frozenAt = default, thawedAt = default;

        async Task FreezeAsync(long phaseStart)
        {
            // Each time is taken just before kill(1) runs, which delivers the signal a few milliseconds later: a request
            // sent in between counts as sent during the freeze (or after the thaw), so neither figure flatters the gateway.
            await Task.Delay(args.OutageAt, cancellationToken);
            frozenAt = Stopwatch.GetElapsedTime(phaseStart);
            markers.Add(new Marker(frozenAt, "SIGSTOP"));
            try
            {
                await redis.FreezeAsync();
                await Task.Delay(args.OutageAt + args.OutageFor - Stopwatch.GetElapsedTime(phaseStart), cancellationToken);
            }
            finally
            {
                thawedAt = Stopwatch.GetElapsedTime(phaseStart);
                await redis.ThawAsync();
            }

            markers.Add(new Marker(thawedAt, "SIGCONT"));
        }

        report.Setup.Add($"Freeze: {bed.Redis.Description}, SIGSTOP at {args.OutageAt.TotalSeconds:0.#} s, SIGCONT {args.OutageFor.TotalSeconds:0.#} s later; "
            + $"Gateway:RedisTimeout {timeout.TotalSeconds:0.###} s, Gateway:RedisBreakDuration {breakDuration.TotalSeconds:0.###} s.");
        var fill = await SteadyLoad.FillAsync(bed, args.Groups, cancellationToken);
        report.Phases.Add(fill);
        StandardChecks.AllAnswered(report, fill);
        var metrics = new MetricReader(bed.Client.Http, bed.Gateways);
        var rejectedBefore = await metrics.ReadAsync(MetricReader.OriginRejected, cancellationToken);
        var failuresBefore = await metrics.ReadAsync(MetricReader.RedisFailures, cancellationToken);
        var phase = await SteadyLoad.RunAsync(bed, "redis freeze", args.Groups, args.Rate, args.Concurrency, args.Duration, cancellationToken, FreezeAsync);
        var rejected = await metrics.ReadAsync(MetricReader.OriginRejected, cancellationToken) - rejectedBefore;
        var failures = await metrics.ReadAsync(MetricReader.RedisFailures, cancellationToken) - failuresBefore;
        report.Phases.Add(phase);
        report.Timeline = (phase, markers);

        StandardChecks.AllAnswered(report, phase);
        StandardChecks.OriginCountsAgree(report, phase);
        report.Target(
            "p99 over the run", $"≤ 2 × RedisTimeout = {StandardChecks.Ms(2 * timeout.TotalMilliseconds)}",
            $"{StandardChecks.Ms(phase.Latency.P99)} (max {StandardChecks.Ms(phase.Latency.Max)})",
            phase.Latency.P99 <= 2 * timeout.TotalMilliseconds);

        var samples = phase.Samples.Select(s => (At: Stopwatch.GetElapsedTime(0, s.StartTicks), s.Answer)).ToArray();
        var firstBypass = samples.Where(s => s.Answer == CacheAnswer.Bypass && s.At >= frozenAt).Select(s => (TimeSpan?)(s.At - frozenAt)).Min();
        var lastBypass = samples.Where(s => s.Answer == CacheAnswer.Bypass).Select(s => (TimeSpan?)(s.At - thawedAt)).Max();
        var resumed = samples.Where(s => s.At >= thawedAt && s.Answer is CacheAnswer.Fresh or CacheAnswer.Stale or CacheAnswer.Miss)
            .Select(s => (TimeSpan?)(s.At - thawedAt)).Min();
        report.Target(
            "caching resumed after SIGCONT (first answer through Redis: FRESH, STALE or MISS)", $"≤ RedisBreakDuration + 1 s = {(breakDuration + TimeSpan.FromSeconds(1)).TotalSeconds:0.#} s",
            $"{Seconds(resumed)} after SIGCONT; the last BYPASS {Seconds(lastBypass)} after it",
            resumed is { } r && r <= breakDuration + TimeSpan.FromSeconds(1));
        report.Tables.Add(Windows(phase, frozenAt, thawedAt, resumed, lastBypass));
        report.Notes.Add($"{phase.Answers[CacheAnswer.Bypass]:N0} BYPASS answers ({100.0 * phase.Answers[CacheAnswer.Bypass] / Math.Max(1, phase.Samples.Length):0.#}% of the run), "
            + $"the first {Seconds(firstBypass)} after SIGSTOP (requests sent before then count from when they were sent).");
        report.Notes.Add($"The gateways counted {failures:N0} failed Redis commands (gateway_redis_failures_total) and turned away {rejected:N0} origin fetches "
            + "because the bulkhead was full (gateway_origin_rejected_total; each such MISS or BYPASS is answered 503).");
        report.Notes.Add($"Origin queries during the run: {phase.Origin?.Queries:N0} for {phase.DistinctGroups:N0} distinct groups (BYPASS reads go to the origin once per group per instance per L1 period).");
    }

    // The run cut at the freeze, the thaw and the last BYPASS: latency and answers in each stretch, by when each request was sent.
    private static ReportTable Windows(PhaseResult phase, TimeSpan frozenAt, TimeSpan thawedAt, TimeSpan? resumed, TimeSpan? lastBypass)
    {
        var backAt = thawedAt + (lastBypass ?? resumed ?? TimeSpan.Zero);
        (string Name, TimeSpan From, TimeSpan To)[] windows =
        [
            ("before the freeze (baseline)", TimeSpan.Zero, frozenAt),
            ("frozen", frozenAt, thawedAt),
            ("thawed, until the last BYPASS", thawedAt, backAt),
            ("after the last BYPASS", backAt, phase.Elapsed + TimeSpan.FromSeconds(1)),
        ];
        string[] header = ["stretch", "from s", "to s", "requests", "p50 ms", "p99 ms", "max ms", "BYPASS", "non-2xx + errors"];
        var rows = windows.Select(w =>
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
        return new ReportTable("The run, stretch by stretch", header, rows, []);
    }

    private static string Seconds(TimeSpan? span) => span is { } s ? $"{s.TotalSeconds:0.00} s" : "never";
}
