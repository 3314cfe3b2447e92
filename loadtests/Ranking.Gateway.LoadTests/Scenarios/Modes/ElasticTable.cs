using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;
using static Ranking.Gateway.LoadTests.Scenarios.Modes.Cells;

namespace Ranking.Gateway.LoadTests.Scenarios.Modes;

/// <summary>--elastic: each mode's window in thirds (before an instance joins, after, after the first one leaves), a row each.</summary>
internal static class ElasticTable
{
    public static ReportTable Build(IReadOnlyList<ModeResult> results, TimeSpan period, int users) => new(
        "Elasticity: an instance joins, then one leaves (per minute of each third of the window)",
        [
            "mode", "third", "Top-N /min", "groups computed /period", "Redis cmds /min", "lock attempts /min",
            "origin queries /min by instance", "CPU s by instance", "reads", "MISS", "non-2xx", "read p99 ms", "staleness p99", "behind",
        ],
        [.. results.SelectMany(r => r.Elastic.Select(w => new[]
        {
            r.Plan.Label,
            w.Label,
            w.Cost.Sql.Available ? N(w.Cost.PerMinute(w.Cost.TopNQueries)) : NotAvailable,
            w.Cost.Sql.Available ? N(w.Cost.PerPeriod(w.Cost.GroupsComputed(users), period)) : NotAvailable,
            w.Cost.Redis.Available ? N(w.Cost.PerMinute(w.Cost.Redis.Total)) : NotAvailable,
            N(CostGrowthTable.LockAttemptsPerMinute(w.Cost)),
            string.Join(" / ", w.Cost.OriginQueries.Select(q => N(w.Cost.PerMinute(q)))),
            ModeTable.Cpu(w.Cost),
            N(w.Reads.Length),
            Percent(Share(w.Reads, s => s.Answer == CacheAnswer.Miss)),
            N(w.Reads.Count(s => !s.IsSuccess)),
            Ms(LatencySummary.Of(w.Reads).P99),
            Seconds(w.Staleness.P99),
            Percent(w.Staleness.BehindShare),
        }))],
        [
            "Instances in the order they started: gateway-1, gateway-2, then the joiner. gateway-1 leaves: it is taken out of the load, 1 s later its counters are read for the last time and it is killed (SIGKILL); after that its column stays 0.",
            "The joiner's third includes its start-up (about 1–2 s before it answers, while the others carry the load) and its empty in-process cache.",
        ]);

    private static double Share(Sample[] reads, Func<Sample, bool> which) => reads.Length == 0 ? double.NaN : (double)reads.Count(which) / reads.Length;
}
