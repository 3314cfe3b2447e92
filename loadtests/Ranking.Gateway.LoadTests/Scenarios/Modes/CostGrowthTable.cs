using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;
using static Ranking.Gateway.LoadTests.Scenarios.Modes.Cells;

namespace Ranking.Gateway.LoadTests.Scenarios.Modes;

/// <summary>How each mode's cost grows with the number of groups (and, for CompetingLocks, with instances): a row per run.</summary>
internal static class CostGrowthTable
{
    public static ReportTable Build(IReadOnlyList<ModeResult> results, TimeSpan period, int users) => new(
        "Cost growth (per minute; with reads = the measured window, idle = writes only)",
        [
            "run", "groups", "instances", "Top-N single /min", "Top-N batched /min", "groups computed /period",
            "Redis cmds /min", "lock attempts /min", "idle: Top-N /min", "idle: Redis cmds /min", "idle: lock attempts /min",
            "refresh cycle, mean", "CPU s /instance", "MISS / BYPASS", "staleness p99", "behind",
        ],
        [.. results.Select(r => new[]
        {
            r.Plan.Label,
            N(r.Plan.Groups),
            N(r.Plan.Instances),
            r.Window.Sql.Available ? N(r.Window.PerMinute(r.Window.Sql.Single.Calls)) : NotAvailable,
            r.Window.Sql.Available ? N(r.Window.PerMinute(r.Window.Sql.Batched.Calls)) : NotAvailable,
            r.Window.Sql.Available ? N(r.Window.PerPeriod(r.Window.GroupsComputed(users), period)) : NotAvailable,
            r.Window.Redis.Available ? N(r.Window.PerMinute(r.Window.Redis.Total)) : NotAvailable,
            N(LockAttemptsPerMinute(r.Window)),
            r.Idle is { Sql.Available: true } idle ? N(idle.PerMinute(idle.TopNQueries)) : NotAvailable,
            r.Idle is { Redis.Available: true } idleRedis ? N(idleRedis.PerMinute(idleRedis.Redis.Total)) : NotAvailable,
            r.Idle is { } idleLocks ? N(LockAttemptsPerMinute(idleLocks)) : NotAvailable,
            ModeTable.CycleMean(r.Window),
            ModeTable.Cpu(r.Window),
            $"{Percent(ModeTable.Share(r, CacheAnswer.Miss))} / {Percent(ModeTable.Share(r, CacheAnswer.Bypass))}",
            Seconds(r.Staleness.P99),
            Percent(r.Staleness.BehindShare),
        })],
        [
            "Lock attempts = gateway_cache_lock_attempts_total (read path) + gateway_refresh_lock_attempts_total (refresh modes), all outcomes.",
            $"Each run is short (a few refresh periods), so lazy modes are not in their steady state: compare the background costs (idle columns) and the way they grow, not the absolute read-path figures.",
        ]);

    public static double? LockAttemptsPerMinute(CostDelta delta) =>
        ModeTable.PerMinute(delta, ModeTable.Sum(delta.Metrics.Total(GatewayCounters.CacheLockAttempts), delta.Metrics.Total(GatewayCounters.RefreshLockAttempts)));
}
