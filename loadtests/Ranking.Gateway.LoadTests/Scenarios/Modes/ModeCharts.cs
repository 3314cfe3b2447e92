using Ranking.Gateway.LoadTests.Report;
using static Ranking.Gateway.LoadTests.Scenarios.Modes.Cells;

namespace Ranking.Gateway.LoadTests.Scenarios.Modes;

/// <summary>The bar charts of compare-modes' SVG: what each mode costs and what readers saw.</summary>
internal static class ModeCharts
{
    public static IEnumerable<BarSet> Compare(IReadOnlyList<ModeResult> results, TimeSpan period, int users)
    {
        yield return Set($"Groups computed by the origin per period ({period.TotalSeconds:0.#} s = the document's minute)", results, false,
            r => r.Window.Sql.Available ? r.Window.PerPeriod(r.Window.GroupsComputed(users), period) : double.NaN, v => N(v));
        yield return Set("Redis commands per minute", results, false,
            r => r.Window.Redis.Available ? r.Window.PerMinute(r.Window.Redis.Total) : double.NaN, v => N(v));
        yield return Set("Staleness readers saw: p99 of the answers behind a write (s)", results, false, r => r.Staleness.P99, Seconds);
        yield return Set("Answers behind a committed write (%)", results, false, r => r.Staleness.BehindShare * 100, v => Percent(v / 100));
        yield return Set("Gateway CPU, all instances (% of one core)", results, false,
            r => 100 * r.Window.Cpu.Sum(c => c.TotalSeconds) / r.Window.Length.TotalSeconds, v => Percent(v / 100));
    }

    public static IEnumerable<BarSet> CostGrowth(IReadOnlyList<ModeResult> results)
    {
        yield return Set("Top-N queries per minute, with reads", results, true,
            r => r.Window.Sql.Available ? r.Window.PerMinute(r.Window.TopNQueries) : double.NaN, v => N(v));
        yield return Set("Top-N queries per minute, idle (writes only)", results, true,
            r => r.Idle is { Sql.Available: true } idle ? idle.PerMinute(idle.TopNQueries) : double.NaN, v => N(v));
        yield return Set("Redis commands per minute, with reads", results, true,
            r => r.Window.Redis.Available ? r.Window.PerMinute(r.Window.Redis.Total) : double.NaN, v => N(v));
        yield return Set("Lock attempts per minute, with reads", results, true,
            r => CostGrowthTable.LockAttemptsPerMinute(r.Window) ?? double.NaN, v => N(v));
    }

    private static BarSet Set(string title, IReadOnlyList<ModeResult> results, bool log, Func<ModeResult, double> value, Func<double, string> text) =>
        new(title, [.. results.Select(r => value(r) is var v && double.IsFinite(v) ? new Bar(r.Plan.Label, v, text(v)) : new Bar(r.Plan.Label, double.NaN, NotAvailable))], log);
}
