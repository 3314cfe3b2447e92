using System.Globalization;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Report;

/// <summary>The rows both the console table and the Markdown report print, so they always say the same.</summary>
internal static class PhaseTable
{
    public static readonly string[] Header =
        ["phase", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "FRESH", "STALE", "MISS", "BYPASS", "other", "non-2xx", "errors", "origin q (pg / metrics)"];

    public static readonly string[] LatencyHeader = ["phase", "answer", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"];

    public static IEnumerable<string[]> Rows(IEnumerable<PhaseResult> phases) => phases.Select(p => new[]
    {
        p.Name,
        N(p.Samples.Length),
        N(p.RequestsPerSecond),
        Ms(p.Latency.P50),
        Ms(p.Latency.P95),
        Ms(p.Latency.P99),
        Ms(p.Latency.Max),
        N(p.Answers[CacheAnswer.Fresh]),
        N(p.Answers[CacheAnswer.Stale]),
        N(p.Answers[CacheAnswer.Miss]),
        N(p.Answers[CacheAnswer.Bypass]),
        N(p.Answers[CacheAnswer.None]),
        N(p.NonSuccessCount),
        N(p.Errors + p.NotSent),
        p.Origin is { } o ? $"{(o.Postgres is { } pg ? N(pg) : "n/a")} / {N(o.Metrics)}" : "",
    });

    /// <summary>Latency by cache answer, for phases with more than one kind of answer worth telling apart.</summary>
    public static IEnumerable<string[]> LatencyRows(IEnumerable<PhaseResult> phases) =>
        from p in phases
        from answer in new[] { CacheAnswer.Fresh, CacheAnswer.Stale, CacheAnswer.Miss, CacheAnswer.Bypass }
        let l = p.LatencyOf(answer)
        where l.Count > 0
        select new[] { p.Name, answer.ToString().ToUpperInvariant(), N(l.Count), Ms(l.P50), Ms(l.P95), Ms(l.P99), Ms(l.Max) };

    public static string N(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Ms(double ms) => double.IsNaN(ms) ? "–" : ms.ToString(ms < 100 ? "0.00" : "N0", CultureInfo.InvariantCulture);
}
