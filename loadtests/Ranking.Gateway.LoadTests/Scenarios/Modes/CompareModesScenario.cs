using Ranking.Gateway.LoadTests.Cli;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios.Modes;

/// <summary>
/// compare-modes: the same workload against each refresh mode in turn (two instances each, gateways and a Redis of
/// their own, a fresh key prefix, the same database), and the costs and staleness side by side. --smoke runs it
/// tiny and short with hard checks; --cost-growth runs each mode briefly at several group counts.
/// </summary>
internal static class CompareModesScenario
{
    public static async Task<RunReport> RunAsync(Arguments args, IReadOnlyList<string> commandLine, CancellationToken cancellationToken)
    {
        // Each mode seeds its database before its test bed starts: check PostgreSQL first, as every other scenario does.
        await TestBed.CheckPostgresAsync(args.Postgres, cancellationToken);
        var runId = TestBed.NewRunId();
        var plans = args.CostGrowth ? CostGrowthPlans(args) : [.. args.Modes.Select(m => new ModePlan(m, args.Groups, args.Instances, m))];
        var report = new RunReport
        {
            Scenario = args.SmokeRun ? "compare-modes-smoke" : args.CostGrowth ? "compare-modes-cost" : args.Elastic ? "compare-modes-elastic" : Arguments.CompareModes,
            Title = args.CostGrowth
                ? $"compare-modes --cost-growth: {string.Join(", ", args.Modes)} at {string.Join(" / ", args.Sizes.Select(s => s.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))} groups"
                : $"compare-modes{(args.SmokeRun ? " --smoke" : "")}: {string.Join(", ", args.Modes)} over {args.Groups:N0} groups at {args.Rate:N0} req/s",
            RunId = runId,
            CommandLine = commandLine,
            OutDirectory = args.OutDir ?? RepoPaths.DefaultOut,
        };

        var results = new List<ModeResult>();
        foreach (var plan in plans)
        {
            Console.Error.WriteLine($"== {plan.Label}: {plan.Mode}, {plan.Groups:N0} groups, {plan.Instances} instances ==");
            var result = await ModeRun.RunAsync(args, plan, $"{runId}-{Slug(plan)}", warmUp: !args.SmokeRun, cancellationToken);
            results.Add(result);
            report.Phases.Add(result.Reads);
            report.Setup.AddRange(result.Setup.Select(line => $"{plan.Label}: {line}"));
            report.Notes.AddRange(result.Problems.Distinct().Select(p => $"{plan.Label}: {p}"));
        }

        if (args.CostGrowth)
        {
            report.Tables.Add(CostGrowthTable.Build(results, args.Period, args.Users));
            report.Bars.AddRange(ModeCharts.CostGrowth(results));
        }
        else
        {
            report.Tables.Add(ModeTable.Build(results, args.Period, args.Users));
            report.Bars.AddRange(ModeCharts.Compare(results, args.Period, args.Users));
        }

        if (args.Elastic)
        {
            report.Tables.Add(ElasticTable.Build(results, args.Period, args.Users));
        }

        ModeChecks.Add(report, results, args.Period, args.Users, quantitiesAreHard: args.SmokeRun);
        Describe(report, args, results);
        return report;
    }

    // Each size × mode, and CompetingLocks once more with one instance more: its cost is the one that grows with instances.
    private static List<ModePlan> CostGrowthPlans(Arguments args)
    {
        var plans = new List<ModePlan>();
        foreach (var size in args.Sizes)
        {
            foreach (var mode in args.Modes)
            {
                plans.Add(new ModePlan(mode, size, args.Instances, $"{mode} {Short(size)} ×{args.Instances}"));
                if (mode == "CompetingLocks")
                {
                    plans.Add(new ModePlan(mode, size, args.Instances + 1, $"{mode} {Short(size)} ×{args.Instances + 1}"));
                }
            }
        }

        return plans;
    }

    private static void Describe(RunReport report, Arguments args, IReadOnlyList<ModeResult> results)
    {
        report.Notes.Add(ModeSettings.Describe(args.Period));
        report.Notes.Add(
            $"Workload, the same for every mode: reads Zipf s={args.Zipf:0.##} over the groups at {args.Rate:N0} req/s (open loop, round-robin over the instances, seed {args.Seed}); "
            + $"a writer that every second gives one random user of {args.WriteShare:0.##%} of the groups ({(args.WriteZipf > 0 ? $"Zipf s={args.WriteZipf:0.##} over the readers' ranks, hot groups written most" : "uniformly picked")}, same seed for every mode) a higher score, "
            + "UPDATE … SET score = score + …, updated_at = now() (so every write changes its group's Top-100), and logs when each commit returned. "
            + $"Per mode: {args.Period.TotalSeconds + args.Idle.TotalSeconds:0.#} s of writes without reads (the last {args.Idle.TotalSeconds:0.#} s measured as \"idle\"), "
            + $"then reads: {args.LeadIn.TotalSeconds:0.#} s lead-in, {args.Duration.TotalSeconds:0.#} s measured.");
        report.Notes.Add(
            "Staleness readers saw: for each 2xx answer received in the window, the first commit to its group after the answer's generatedAt (the gateway's clock when its "
            + "origin query started, or, when a refresh found the same ranking and kept its bytes, when that ranking was first computed; the same machine clock as the runner's) and before the answer was received; staleness = received − that commit. A commit that landed "
            + "between the query's start and its snapshot counts as missed, so an answer can be counted behind by at most its own query time when it was not.");
        report.Notes.Add(args.SharedRedis
            ? $"Redis commands are INFO commandstats deltas of the shared Redis at {args.Redis}: every other user of it during the window is counted too."
            : "Each mode had a redis-server of its own (started empty), so Redis commands are the gateways' alone (commands inside Lua scripts are counted under their own names too; the runner's INFO is left out).");
        report.Notes.Add("Top-N queries are pg_stat_statements calls in the mode's database: single = the ranking query ordering by score, batched = the one with unnest(; "
            + "DB time = their total_exec_time. The origin column of the phase table is pg (single + batched) / gateway_origin_queries_total.");
        foreach (var r in results.Where(r => CycleMeanSeconds(r) > args.Period.TotalSeconds || WalkFellShort(r, args)))
        {
            var why = CycleMeanSeconds(r) > args.Period.TotalSeconds
                ? $"a refresh cycle took {CycleMeanSeconds(r):0.0} s on average, longer than the {args.Period.TotalSeconds:0.#} s period"
                : $"it computed {r.Window.PerPeriod(r.Window.GroupsComputed(args.Users), args.Period):N0} of {r.Plan.Groups:N0} groups per period";
            report.Notes.Add($"{r.Plan.Label}: {why}: the mode did not keep up on this machine, so its per-minute figures are what the machine "
                + "could do, not what the mode asks for (a longer --period asks less).");
        }

        if (results.Any(r => r.Window.Sql.Evictions > 0 || r.Idle?.Sql.Evictions > 0))
        {
            report.Notes.Add("pg_stat_statements evicted entries during a window (pg_stat_statements.max reached): SQL counts of that window may be low.");
        }
    }

    private static double CycleMeanSeconds(ModeResult r) =>
        r.Window.Metrics.Total(Measurement.GatewayCounters.Cycles) is { } cycles && cycles > 0
            ? (r.Window.Metrics.Total(Measurement.GatewayCounters.CycleSeconds) ?? 0) / cycles
            : 0;

    // A walk that never finished in the window has no cycle to time; the groups it computed tell instead.
    private static bool WalkFellShort(ModeResult r, Arguments args) =>
        r.Plan.Mode == "CompetingLocks" && r.Window.Sql.Available && r.Window.PerPeriod(r.Window.GroupsComputed(args.Users), args.Period) < 0.8 * r.Plan.Groups;

    private static string Slug(ModePlan plan) => $"{plan.Mode.ToLowerInvariant()}-{plan.Groups}-{plan.Instances}";

    private static string Short(int groups) => groups switch
    {
        >= 1_000_000 when groups % 1_000_000 == 0 => $"{groups / 1_000_000}M",
        >= 1_000 when groups % 1_000 == 0 => $"{groups / 1_000}k",
        _ => groups.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
