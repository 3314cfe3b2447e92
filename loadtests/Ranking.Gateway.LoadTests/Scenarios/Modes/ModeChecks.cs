using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;
using static Ranking.Gateway.LoadTests.Scenarios.Modes.Cells;

namespace Ranking.Gateway.LoadTests.Scenarios.Modes;

/// <summary>
/// What each mode must do (docs/DESIGN.md, "Refresh modes"). Always hard: every read answered 2xx with a generatedAt,
/// lazy modes cost nothing without reads, CompetingLocks and Queue refresh without reads, and Queue batches.
/// How much (a walk of every group per period, changed groups only, staleness within a period or two) is hard in
/// the smoke run, where the load is tiny, and a target otherwise, where a busy machine may fall behind.
/// </summary>
internal static class ModeChecks
{
    public static void Add(RunReport report, IReadOnlyList<ModeResult> results, TimeSpan period, int users, bool quantitiesAreHard)
    {
        foreach (var r in results)
        {
            Answered(report, r);
            Background(report, r, period, users, quantitiesAreHard);
            Window(report, r, period, users);
        }

        foreach (var early in results.Where(r => r.Plan.Mode == "Early"))
        {
            if (results.FirstOrDefault(r => r.Plan.Mode == "Lazy" && r.Plan.Groups == early.Plan.Groups && r.Plan.Instances == early.Plan.Instances) is { } lazy)
            {
                report.Target(
                    $"{early.Plan.Label}: hot groups refreshed before they go stale", $"STALE share ≤ {lazy.Plan.Label}'s",
                    $"{Percent(ModeTable.Share(early, CacheAnswer.Stale))} vs {Percent(ModeTable.Share(lazy, CacheAnswer.Stale))}",
                    ModeTable.Share(early, CacheAnswer.Stale) <= ModeTable.Share(lazy, CacheAnswer.Stale));
            }
        }
    }

    private static void Answered(RunReport report, ModeResult r)
    {
        var window = r.Reads.NonSuccessCount + r.Reads.Errors;
        report.Hard(
            $"{r.Plan.Label}: every read answered 2xx", "0 non-2xx, 0 errors (lead-in and window)",
            $"{window} in the window, {r.LeadInFailures} in the lead-in{(r.Reads.NotSent > 0 ? $", {r.Reads.NotSent:N0} not sent" : "")}",
            window == 0 && r.LeadInFailures == 0 && r.Reads.NotSent == 0);
        report.Hard(
            $"{r.Plan.Label}: every 2xx answer has a generatedAt", "all",
            $"{r.Staleness.Answers - r.Staleness.WithoutGeneratedAt:N0} of {r.Staleness.Answers:N0}",
            r.Staleness.Answers > 0 && r.Staleness.WithoutGeneratedAt == 0);
    }

    // The idle window: writes, no reads. Only refresh modes that work ahead of reads may query the origin.
    private static void Background(RunReport report, ModeResult r, TimeSpan period, int users, bool quantitiesAreHard)
    {
        if (r.Idle is not { Sql.Available: true } idle)
        {
            return;
        }

        var computed = idle.GroupsComputed(users);
        var periods = idle.Length / period;
        switch (r.Plan.Mode)
        {
            case "Lazy" or "Early":
                report.Hard($"{r.Plan.Label}: no origin queries without reads", "0 Top-N while idle", N(idle.TopNQueries), idle.TopNQueries == 0);
                break;
            case "CompetingLocks":
                report.Hard($"{r.Plan.Label}: refreshes without reads", "> 0 Top-N while idle", N(idle.TopNQueries), idle.TopNQueries > 0);
                var (low, high) = ((periods - 1) * r.Plan.Groups, (periods + 1) * r.Plan.Groups);
                Quantity(
                    report, quantitiesAreHard, $"{r.Plan.Label}: each group computed once per period across instances (idle)",
                    $"{N(low)}..{N(high)} groups in {idle.Length.TotalSeconds:0.#} s ({periods:0.#} periods × {r.Plan.Groups:N0}, ± one walk)",
                    $"{N(computed)} groups", computed >= low && computed <= high);
                break;
            case "Queue":
                report.Hard($"{r.Plan.Label}: changed groups refreshed in batches without reads", "> 0 batched Top-N while idle",
                    $"{N(idle.Sql.Batched.Calls)} batched, {N(idle.Sql.Single.Calls)} single", idle.Sql.Batched.Calls > 0);

                // Each recompute needs a write: the idle window's, or the period's before it (taken by the first pass).
                Quantity(
                    report, quantitiesAreHard, $"{r.Plan.Label}: only changed groups computed (idle)",
                    $"≤ the {N(r.IdleWrites.Writes)} group writes since one period before the window", $"{N(computed)} groups", computed <= r.IdleWrites.Writes);
                break;
        }
    }

    // The measured window, with reads: the cost and staleness each mode promises.
    private static void Window(RunReport report, ModeResult r, TimeSpan period, int users)
    {
        var w = r.Window;
        if (w.Sql.Available)
        {
            var computed = w.PerPeriod(w.GroupsComputed(users), period);
            switch (r.Plan.Mode)
            {
                case "Lazy" or "Early":
                    // Holds while every fetch is coordinated; a MISS that waited past MissWait or a BYPASS fetches on its own.
                    report.Target($"{r.Plan.Label}: origin work ≤ groups actually read", "groups computed /period ≤ distinct groups read /period",
                        $"{N(computed)} ≤ {N(r.GroupsReadPerPeriod)}", computed <= r.GroupsReadPerPeriod * 1.05);
                    break;
                case "CompetingLocks":
                    report.Target($"{r.Plan.Label}: origin work = all groups", "groups computed /period within 0.9–1.2 × groups",
                        $"{N(computed)} of {N(r.Plan.Groups)}", computed >= 0.9 * r.Plan.Groups && computed <= 1.2 * r.Plan.Groups);
                    break;
                case "Queue":
                    var batched = w.PerPeriod((double)w.Sql.Batched.Rows / Math.Min(users, 100), period);
                    report.Target($"{r.Plan.Label}: origin work = changed groups", "batched groups /period within 0.5–1.5 × distinct groups changed /period",
                        $"{N(batched)} vs {N(r.ChangedGroupsPerPeriod)}", batched >= 0.5 * r.ChangedGroupsPerPeriod && batched <= 1.5 * r.ChangedGroupsPerPeriod);
                    break;
            }
        }

        if (r.Plan.Mode is "CompetingLocks" or "Queue")
        {
            report.Target($"{r.Plan.Label}: a change reaches readers within about one period", $"staleness p99 ≤ 2 periods ({2 * period.TotalSeconds:0.#} s)",
                Seconds(r.Staleness.P99), double.IsNaN(r.Staleness.P99) || r.Staleness.P99 <= 2 * period.TotalSeconds);
        }
    }

    private static void Quantity(RunReport report, bool hard, string name, string target, string actual, bool passed)
    {
        if (hard)
        {
            report.Hard(name, target, actual, passed);
        }
        else
        {
            report.Target(name, target, actual, passed);
        }
    }
}
