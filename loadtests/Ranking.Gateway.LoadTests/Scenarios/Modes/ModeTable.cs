using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;
using static Ranking.Gateway.LoadTests.Scenarios.Modes.Cells;

namespace Ranking.Gateway.LoadTests.Scenarios.Modes;

/// <summary>The modes side by side: one column per mode, one row per measure, all from the measured window unless it says "idle".</summary>
internal static class ModeTable
{
    public static ReportTable Build(IReadOnlyList<ModeResult> results, TimeSpan period, int users)
    {
        var rows = new List<string[]>();
        void Row(string measure, Func<ModeResult, string> cell) => rows.Add([measure, .. results.Select(cell)]);

        Row("reads (req/s achieved)", r => $"{N(r.Reads.Samples.Length)} ({N(r.Reads.RequestsPerSecond)})");
        Row("non-2xx + errors, window / lead-in", r => $"{N(r.Reads.NonSuccessCount + r.Reads.Errors + r.Reads.NotSent)} / {N(r.LeadInFailures)}");
        Row("latency p50 / p99 (ms)", r => $"{Ms(r.Reads.Latency.P50)} / {Ms(r.Reads.Latency.P99)}");
        Row("MISS latency p50 / p99 (ms)", r => r.Reads.LatencyOf(CacheAnswer.Miss) is { Count: > 0 } miss ? $"{Ms(miss.P50)} / {Ms(miss.P99)}" : NotAvailable);
        Row("first period of reads: MISS share, MISS p99 (ms), non-2xx", r => r.FirstPeriod.Reads == 0 ? NotAvailable
            : $"{Percent((double)r.FirstPeriod.Misses / r.FirstPeriod.Reads)}, {(r.FirstPeriod.Misses > 0 ? Ms(r.FirstPeriod.MissLatency.P99) : "-")}, {N(r.FirstPeriod.Failures)}");
        Row("FRESH / STALE / MISS / BYPASS", r => string.Join(" / ", new[] { CacheAnswer.Fresh, CacheAnswer.Stale, CacheAnswer.Miss, CacheAnswer.Bypass }.Select(a => Percent(Share(r, a)))));
        Row("answers behind a committed write", r => $"{Percent(r.Staleness.BehindShare)} ({N(r.Staleness.Behind)})");
        Row("staleness seen p50 / p99 / max", r => $"{Seconds(r.Staleness.P50)} / {Seconds(r.Staleness.P99)} / {Seconds(r.Staleness.Max)}");
        Row("FRESH answers that were behind", r => Percent(r.Staleness.FreshBehindShare));

        Row("Top-N single: /min (/period)", r => Rate(r.Window, r.Window.Sql.Single.Calls, period, r.Window.Sql.Available));
        Row("Top-N batched: /min (/period)", r => Rate(r.Window, r.Window.Sql.Batched.Calls, period, r.Window.Sql.Available));
        Row("groups computed /period", r => r.Window.Sql.Available ? N(r.Window.PerPeriod(r.Window.GroupsComputed(users), period)) : NotAvailable);
        Row("distinct groups read / changed /period", r => $"{N(r.GroupsReadPerPeriod)} / {N(r.ChangedGroupsPerPeriod)}");
        Row("Top-N DB time (ms/min)", r => r.Window.Sql.Available ? N(r.Window.PerMinute(r.Window.Sql.Single.ExecMs + r.Window.Sql.Batched.ExecMs)) : NotAvailable);
        Row("DISCARD ALL (pooled connection reuse) /min", r => r.Window.Sql.Available ? N(r.Window.PerMinute(r.Window.Sql.Resets.Calls)) : NotAvailable);
        Row("change scans (ChangedGroupsSql): calls/min (ms/min)", r => r.Window.Sql.Available ? $"{N(r.Window.PerMinute(r.Window.Sql.ChangeScans.Calls))} ({N(r.Window.PerMinute(r.Window.Sql.ChangeScans.ExecMs))})" : NotAvailable);
        Row("other gateway SQL: calls/min (ms/min)", r => r.Window.Sql.Available ? $"{N(r.Window.PerMinute(r.Window.Sql.Other.Calls))} ({N(r.Window.PerMinute(r.Window.Sql.Other.ExecMs))})" : NotAvailable);
        Row("gateway_origin_queries_total /min", r => N(PerMinute(r.Window, r.Window.Metrics.Total(GatewayCounters.OriginQueries))));
        Row("  per instance /min (balance)", r => string.Join(" + ", r.Window.OriginQueries.Select(q => N(r.Window.PerMinute(q)))));

        Row("Redis commands /min", r => r.Window.Redis.Available ? N(r.Window.PerMinute(r.Window.Redis.Total)) : NotAvailable);
        var commands = results.SelectMany(r => r.Window.Redis.Calls).GroupBy(c => c.Key).OrderByDescending(g => g.Sum(c => c.Value)).Select(g => g.Key).ToArray();
        foreach (var command in commands)
        {
            Row($"  {command.ToUpperInvariant()} /min", r => r.Window.Redis.Available ? N(r.Window.PerMinute(r.Window.Redis.Calls.GetValueOrDefault(command))) : NotAvailable);
        }

        Row("Redis CPU (s)", r => r.Window.Redis.Available ? Seconds(r.Window.Redis.CpuSeconds) : NotAvailable);
        Row("read-path lock attempts /min (acquired)", r => Locks(r.Window, GatewayCounters.CacheLockAttempts));
        Row("refresh lock attempts /min (acquired)", r => Locks(r.Window, GatewayCounters.RefreshLockAttempts));
        Row("refreshed groups /min by outcome", r => ByOutcome(r.Window, GatewayCounters.RefreshGroups));
        Row("refresh cycle, mean", r => CycleMean(r.Window));
        Row("queued groups /min by source", r => ByOutcome(r.Window, GatewayCounters.Enqueued));
        Row("batches /min by outcome (metrics)", r => ByOutcome(r.Window, GatewayCounters.Batches));
        Row("fetches turned away by the bulkhead / Redis failures, window", r => $"{N(r.Window.Metrics.Total(GatewayCounters.FetchesRejected) ?? 0)} / {N(r.Window.Metrics.Total(GatewayCounters.RedisFailures) ?? 0)}");
        Row("dead-lettered /min", r => N(PerMinute(r.Window, r.Window.Metrics.Total(GatewayCounters.DeadLettered))));
        foreach (var gauge in GaugeSampler.Gauges)
        {
            Row($"{gauge} (max)", r => r.Gauges.TryGetValue(gauge, out var v) ? N(v) : NotAvailable);
        }

        Row("gateway CPU s per instance", r => Cpu(r.Window));
        Row("gateway CPU, % of one core (all instances)", r => Percent(r.Window.Cpu.Sum(c => c.TotalSeconds) / r.Window.Length.TotalSeconds));

        Row("idle: Top-N /min (/period)", r => r.Idle is { } idle ? Rate(idle, idle.TopNQueries, period, idle.Sql.Available) : NotAvailable);
        Row("idle: groups computed (changed since one period before)", r => r.Idle is { } idle && idle.Sql.Available
            ? $"{N(idle.GroupsComputed(users))} ({N(r.IdleWrites.Groups)})" : NotAvailable);
        Row("idle: Redis commands /min", r => r.Idle is { Redis.Available: true } idle ? N(idle.PerMinute(idle.Redis.Total)) : NotAvailable);
        Row("idle: lock attempts /min (read-path + refresh)", r => r.Idle is { } idle ? N(PerMinute(idle, Sum(idle.Metrics.Total(GatewayCounters.CacheLockAttempts), idle.Metrics.Total(GatewayCounters.RefreshLockAttempts)))) : NotAvailable);
        Row("idle: gateway CPU s per instance", r => r.Idle is { } idle ? Cpu(idle) : NotAvailable);
        Row("writer: group writes /s (UPDATE p50 / p99 ms)", r => $"{N(r.WindowWrites.Writes / r.Window.Length.TotalSeconds)} ({Ms(r.WriteLatencyMs.P50)} / {Ms(r.WriteLatencyMs.P99)})");

        return new ReportTable(
            "Modes side by side (measured window; \"idle\" rows: writes, no reads)",
            ["measure", .. results.Select(r => r.Plan.Label)],
            rows,
            [
                "/period: per refresh period, the document's \"per minute\". Groups computed = Top-N rows ÷ rows per group (pg_stat_statements).",
                "Staleness: an answer is behind when the writer committed a change to its group after the answer's generatedAt and before it was received; staleness = received − that commit.",
                "n/a: not measured (a metric this gateway does not export, or a counter that could not be read).",
            ]);
    }

    public static double Share(ModeResult r, CacheAnswer answer) =>
        r.Reads.Samples.Length == 0 ? double.NaN : (double)r.Reads.Answers[answer] / r.Reads.Samples.Length;

    public static string Rate(CostDelta delta, double count, TimeSpan period, bool available = true) =>
        available ? $"{N(delta.PerMinute(count))} ({N(delta.PerPeriod(count, period))})" : NotAvailable;

    public static double? PerMinute(CostDelta delta, double? count) => count is { } c ? delta.PerMinute(c) : null;

    public static double? Sum(double? a, double? b) => a is null && b is null ? null : (a ?? 0) + (b ?? 0);

    public static string Locks(CostDelta delta, string metric) =>
        delta.Metrics.Total(metric) is { } total
            ? $"{N(delta.PerMinute(total))} ({N(delta.PerMinute(delta.Metrics.By(metric).GetValueOrDefault("acquired")))})"
            : NotAvailable;

    public static string Cpu(CostDelta delta) =>
        delta.Cpu.Any(c => c < TimeSpan.Zero) ? "n/a (an instance exited)" : string.Join(" + ", delta.Cpu.Select(c => c.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)));

    public static string CycleMean(CostDelta delta) =>
        delta.Metrics.Total(GatewayCounters.Cycles) is { } cycles && cycles > 0
            ? $"{Seconds((delta.Metrics.Total(GatewayCounters.CycleSeconds) ?? double.NaN) / cycles)} ({N(cycles)} cycles)"
            : NotAvailable;

    private static string ByOutcome(CostDelta delta, string metric)
    {
        var outcomes = delta.Metrics.By(metric);
        return outcomes.Count == 0 ? NotAvailable : string.Join(" · ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {N(delta.PerMinute(o.Value))}"));
    }
}
