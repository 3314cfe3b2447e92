using System.Globalization;
using Ranking.Gateway.LoadTests.Cli;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;
using Ranking.Gateway.LoadTests.Scenarios.Modes;
using static Ranking.Gateway.LoadTests.Scenarios.Modes.Cells;

namespace Ranking.Gateway.LoadTests.Scenarios.Changes;

/// <summary>
/// changes: Queue mode's change sources (<c>Ranking:Refresh:Changes</c>) side by side, the same seeded writes for each:
/// how soon a committed write shows on every instance, the database work per change, the WAL the replication slot
/// holds back, and a burst of changes to a few hundred groups.
/// </summary>
internal static class ChangesScenario
{
    public static async Task<RunReport> RunAsync(Arguments args, IReadOnlyList<string> commandLine, CancellationToken cancellationToken)
    {
        await TestBed.CheckPostgresAsync(args.Postgres, cancellationToken);
        var runId = TestBed.NewRunId();
        var report = new RunReport
        {
            Scenario = Arguments.Changes,
            Title = $"changes: {string.Join(" vs ", args.Sources)} over {args.Groups:N0} groups, {args.WriteShare:0.##%} of them changed a second, period {Seconds(args.Period.TotalSeconds)}",
            RunId = runId,
            CommandLine = commandLine,
            OutDirectory = args.OutDir ?? RepoPaths.DefaultOut,
        };

        var results = new List<ChangesResult>();
        foreach (var source in args.Sources)
        {
            Console.Error.WriteLine($"== changes: {source} ==");
            var result = await ChangesRun.RunAsync(args, source, $"{runId}-{source.ToLowerInvariant()}", cancellationToken);
            results.Add(result);
            report.Phases.Add(result.Reads);
            report.Setup.AddRange(result.Setup.Select(line => $"{source}: {line}"));
            report.Notes.AddRange(result.Problems.Select(p => $"{source}: {p}"));
        }

        report.Tables.Add(Table(results, args.Users));
        AddChecks(report, results);
        Describe(report, args, results);
        return report;
    }

    private static ReportTable Table(IReadOnlyList<ChangesResult> results, int users)
    {
        var rows = new List<string[]>();
        void Row(string measure, Func<ChangesResult, string> cell) => rows.Add([measure, .. results.Select(cell)]);
        string PerChange(ChangesResult r, double count) => $"{N(count)} ({r.Per(count).ToString("0.####", CultureInfo.InvariantCulture)})";

        Row("steady: group changes committed (tracked)", r => $"{N(r.Changes)} ({N(r.Steady.Tracked)})");
        Row("writer commit p50 / p99 (ms)", r => $"{Ms(r.CommitMs.P50)} / {Ms(r.CommitMs.P99)}");
        Row("write→visible at every instance p50 / p99 / max", r => $"{Seconds(r.Steady.P50)} / {Seconds(r.Steady.P99)} / {Seconds(r.Steady.Max)}");
        Row("tracked writes never visible (run + grace)", r => $"{N(r.Steady.NotVisible)} of {N(r.Steady.Tracked)}");
        Row("grace waited after the writer stopped", r => Seconds(r.Grace.TotalSeconds));
        Row("checker requests (not FRESH)", r => $"{N(r.Steady.Checks)} ({N(r.Steady.NotFresh)})");
        Row("reads: FRESH share", r => Percent(r.Reads.Samples.Length > 0 ? (double)r.Reads.Answers[CacheAnswer.Fresh] / r.Reads.Samples.Length : double.NaN));
        Row("Top-N batched: calls (/change)", r => Sql(r, c => PerChange(r, c.Batched.Calls)));
        Row("Top-N batched: rows (/change)", r => Sql(r, c => PerChange(r, c.Batched.Rows)));
        Row("Top-N single: calls (/change)", r => Sql(r, c => PerChange(r, c.Single.Calls)));
        Row("change scans (ChangedGroupsSql): calls (/change)", r => Sql(r, c => PerChange(r, c.ChangeScans.Calls)));
        Row("change scans: ms (/change)", r => Sql(r, c => PerChange(r, c.ChangeScans.ExecMs)));
        Row("Top-N + change-scan DB time: ms (/change)", r => Sql(r, c => PerChange(r, c.Single.ExecMs + c.Batched.ExecMs + c.ChangeScans.ExecMs)));
        Row("other gateway SQL: calls (ms)", r => Sql(r, c => $"{N(c.Other.Calls)} ({N(c.Other.ExecMs)})"));
        Row("groups recomputed, refresh counter (/change)", r => PerChange(r, r.SteadyCost.Metrics.Refreshed));
        Row("groups queued by source", r => string.Join(", ", r.SteadyCost.Metrics.By(GatewayCounters.Enqueued).Where(e => e.Value > 0).Select(e => $"{e.Key} {N(e.Value)}")) is { Length: > 0 } queued ? queued : "0");
        Row("slot WAL retained (restart_lsn): max / last", r => Wal(r, w => w.Retained));
        Row("slot WAL unconfirmed (confirmed_flush_lsn): max / last", r => Wal(r, w => w.Unconfirmed));
        Row("burst: changes to groups, committed in", r => $"{N(r.BurstRows)} to {N(r.BurstGroupsWritten)}, {Seconds(r.BurstLength.TotalSeconds)}");
        Row("burst: groups recomputed, counter (Top-N rows ÷ users)", r => $"{N(r.BurstRecomputes)} ({Sql(r, _ => N(r.BurstCost.GroupsComputed(users)), burst: true)})");
        Row("burst: batched Top-N calls / single", r => Sql(r, c => $"{N(c.Batched.Calls)} / {N(c.Single.Calls)}", burst: true));
        Row("burst: all groups visible at every instance after", r => r.BurstVisibleAfter is { } after ? Seconds(after.TotalSeconds) : $"never ({N(r.Burst.NotVisible)} not)");
        Row("burst: write→visible p50 / p99 / max", r => $"{Seconds(r.Burst.P50)} / {Seconds(r.Burst.P99)} / {Seconds(r.Burst.Max)}");
        Row($"burst: queue backlog (XLEN) {ChangesRun.BacklogAfter.TotalSeconds:0} s after", r => N(r.BacklogAfter));
        return new ReportTable(
            "Change sources side by side (steady: from the writer's start until the last tracked write showed; burst: from its start until every burst group showed)",
            ["measure", .. results.Select(r => r.Source)],
            rows,
            []);
    }

    private static void AddChecks(RunReport report, IReadOnlyList<ChangesResult> results)
    {
        foreach (var r in results)
        {
            StandardChecks.AllAnswered(report, r.Reads);
            report.Hard($"{r.Source}: every tracked write shown by every instance", "0 never visible (run + grace)", $"{N(r.Steady.NotVisible)} of {N(r.Steady.Tracked)}",
                r.Steady.Tracked > 0 && r.Steady.NotVisible == 0);
            report.Hard($"{r.Source}: every burst group shown by every instance", $"all {N(r.Burst.Tracked)}", $"{N(r.Burst.Tracked - r.Burst.NotVisible)}",
                r.Burst.Tracked > 0 && r.Burst.NotVisible == 0);
        }

        if (results.FirstOrDefault(r => r.Source == "Replication") is not { } replication)
        {
            return;
        }

        report.Target("Replication: write→visible at every instance", "p99 ≤ 1 s", Seconds(replication.Steady.P99), replication.Steady.P99 <= 1);
        if (results.FirstOrDefault(r => r.Source == "Poll") is { } poll && replication.SteadyCost.Sql.Available && poll.SteadyCost.Sql.Available)
        {
            report.Target("Replication: database work per change ≤ Poll's", "Top-N + change-scan ms /change ≤ Poll's",
                $"{replication.DbMsPerChange:0.###} vs {poll.DbMsPerChange:0.###} ms", replication.DbMsPerChange <= poll.DbMsPerChange);
        }

        var burst = replication.BurstCost.Sql;
        report.Target("Replication burst: each changed group recomputed about once", $"≤ {N(replication.BurstGroupsWritten)} group recomputes",
            N(replication.BurstRecomputes), replication.BurstRecomputes <= replication.BurstGroupsWritten);
        report.Target("Replication burst: recomputed in batches", "batched Top-N only, more than one group a batch",
            $"{N(burst.Batched.Calls)} batched, {N(burst.Single.Calls)} single for {N(replication.BurstRecomputes)} groups",
            burst.Batched.Calls > 0 && burst.Single.Calls == 0 && replication.BurstRecomputes > burst.Batched.Calls);
        report.Target($"Replication burst: no backlog {ChangesRun.BacklogAfter.TotalSeconds:0} s after", "queue empty (XLEN 0)", N(replication.BacklogAfter), replication.BacklogAfter == 0);
    }

    private static void Describe(RunReport report, Arguments args, IReadOnlyList<ChangesResult> results)
    {
        report.Notes.Add(
            $"Per change source: two instances in Queue mode ({string.Join(", ", ModeSettings.For("Queue", args.Period))}; Ranking:Refresh:Changes = the source; "
            + "Ranking:Refresh:ReplicationSlot = a slot of the run's own, dropped after the gateways stopped; Ranking:RejectUnknownGroups = false, because the "
            + "known-groups poll runs Ranking:ChangedGroupsSql on every instance every 2 s whatever the source, so every change scan counted is the producer's), "
            + "a Redis of their own, the same database (VACUUM ANALYZE first). Measuring starts once the first pass has recomputed every group and the queue is empty.");
        report.Notes.Add(
            $"Steady: readers Zipf s={args.Zipf:0.##} at {args.Rate:N0} req/s round-robin over the instances for {args.Duration.TotalSeconds:0} s; meanwhile a writer gives one random user "
            + $"of {args.WriteShare:0.##%} of the groups a second a higher score with updated_at = now() (UPDATE … RETURNING the new score), in a commit every "
            + $"{ChangesRun.WriteEvery.TotalMilliseconds:0} ms, the same seeded writes for every source. Every {ChangesRun.SampleEvery}th written row is tracked "
            + $"(about {args.Groups * args.WriteShare / ChangesRun.SampleEvery:0.#} a second): write→visible is from its commit returning until every instance has "
            + "answered /ranking/{group} with that user at that score or higher (the first such answer per instance, asked every 20 ms while the write is young, "
            + $"then every tenth of its age, at most every 5 s, at most {VisibilityChecker.ChecksPerSecond:N0} requests a second in all, most overdue first). "
            + $"After the writer stops, up to 2 periods ({2 * args.Period.TotalSeconds:0} s) for the last ones.");
        report.Notes.Add(
            "Per change: pg_stat_statements deltas of the gateways' database over the steady part (writer start to the last tracked write shown, so the "
            + "recomputes the last writes caused are in) divided by the group changes committed. Change scans are statements comparing updated_at > @since "
            + "(Ranking:ChangedGroupsSql). Decoding WAL for a logical slot costs the walsender CPU that pg_stat_statements does not see.");
        report.Notes.Add(
            $"Burst, after the steady part: {ChangesRun.BurstUsers} users of each of {ChangesRun.BurstGroups} random groups raised in {ChangesRun.BurstCommits} commits "
            + $"over one second, u1 of every group tracked; groups recomputed = gateway_refresh_groups_total{{outcome=refreshed}} summed over the instances "
            + $"(in brackets pg_stat_statements' batched + single Top-N rows ÷ min(users, 100), a group's rows); the queue backlog is XLEN of the queue's stream {ChangesRun.BacklogAfter.TotalSeconds:0} s after the last commit.");
        report.Notes.Add("Slot WAL: pg_wal_lsn_diff(pg_current_wal_insert_lsn(), restart_lsn / confirmed_flush_lsn) of the run's slot, read every second while the gateways ran.");
        foreach (var r in results.Where(r => r.Source == "Replication" && r.Wal.Count == 0))
        {
            report.Notes.Add($"Replication: no replication slot named {r.Slot} existed while the gateways ran: this gateway build does not know "
                + "Ranking:Refresh:Changes (an unknown key is ignored), so this column measured polling again.");
        }
    }

    private static string Sql(ChangesResult r, Func<SqlStats, string> cell, bool burst = false)
    {
        var cost = burst ? r.BurstCost : r.SteadyCost;
        return cost.Sql.Available ? cell(cost.Sql) : NotAvailable;
    }

    private static string Wal(ChangesResult r, Func<(long Retained, long Unconfirmed), long> value) =>
        r.Wal.Count == 0 ? NotAvailable : $"{Bytes(r.Wal.Max(w => value(w.Value)))} / {Bytes(value(r.Wal[^1].Value))}";

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1 << 20 => $"{bytes / (double)(1 << 20):0.0} MiB",
        >= 1 << 10 => $"{bytes / (double)(1 << 10):0.0} KiB",
        _ => $"{bytes} B",
    };
}
