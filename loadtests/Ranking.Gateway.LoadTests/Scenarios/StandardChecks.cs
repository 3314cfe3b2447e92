using System.Globalization;
using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>The checks every scenario shares, worded the same way in every report.</summary>
internal static class StandardChecks
{
    /// <summary>The issue's targets for the hit path: ≥ 0.8× the in-memory ceiling; FRESH p99 ≤ 2 ms at half the peak.</summary>
    public static void Baselines(RunReport report, BaselineResult? baselines)
    {
        if (baselines is null)
        {
            return;
        }

        report.Target(
            "FRESH-hit throughput vs in-memory Kestrel ceiling", "≥ 0.80×",
            $"{baselines.HitToCeiling:0.00}× ({baselines.Hit.RequestsPerSecond:N0} vs {baselines.Ceiling.RequestsPerSecond:N0} req/s)",
            baselines.HitToCeiling >= 0.8);
        var p99 = baselines.HitAtHalf.LatencyOf(CacheAnswer.Fresh).P99;
        report.Target(
            "FRESH-hit p99 at half of peak throughput", "≤ 2 ms",
            $"{Ms(p99)} at {baselines.HitAtHalf.RequestsPerSecond:N0} req/s (ceiling at the same rate: {Ms(baselines.CeilingAtHalf.Latency.P99)})",
            p99 <= 2.0);
    }

    public static void AllAnswered(RunReport report, PhaseResult phase)
    {
        report.Hard(
            $"{phase.Name}: every request answered 2xx", "0 non-2xx, 0 errors",
            $"{phase.NonSuccessCount} non-2xx{Codes(phase)}, {phase.Errors} errors",
            phase.NonSuccessCount == 0 && phase.Errors == 0);
        if (phase.NotSent > 0)
        {
            // The measurement is not valid: the rate was not kept (4,000 requests already in flight).
            report.Hard($"{phase.Name}: the load generator kept the rate", "every request sent", $"{phase.NotSent:N0} not sent ({OpenLoop.MaxInFlight:N0} in flight)", false);
        }
    }


    public static void OriginCountsAgree(RunReport report, PhaseResult phase)
    {
        if (phase.Origin is { Postgres: not null } origin)
        {
            report.Hard(
                $"{phase.Name}: gateway metrics equal pg_stat_statements", "equal",
                $"{origin.Metrics} vs {origin.Postgres}", origin.Agree);
        }
    }

    public static void OriginExactly(RunReport report, PhaseResult phase, long expected, string what) => report.Hard(
        $"{phase.Name}: {what}", expected.ToString(CultureInfo.InvariantCulture),
        phase.Origin?.Queries.ToString(CultureInfo.InvariantCulture) ?? "not counted",
        phase.Origin?.Queries == expected);

    public static string Ms(double ms) => double.IsNaN(ms) ? "–" : ms < 10 ? $"{ms:0.00} ms" : $"{ms:N0} ms";

    private static string Codes(PhaseResult phase) =>
        phase.NonSuccess.Count == 0 ? "" : $" ({string.Join(", ", phase.NonSuccess.OrderBy(c => c.Key).Select(c => $"{c.Value}× {c.Key}"))})";
}
