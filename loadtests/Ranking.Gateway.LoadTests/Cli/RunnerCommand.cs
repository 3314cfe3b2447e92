using System.CommandLine;
using Ranking.Gateway.LoadTests.Hosting;
using O = Ranking.Gateway.LoadTests.Cli.RunnerOptions;

namespace Ranking.Gateway.LoadTests.Cli;

/// <summary>
/// The command line: one command per scenario, each with the options it accepts, and the hidden command that runs
/// the baseline server in a child process. A bad command line exits 2 with what is wrong; a run exits 0 when its
/// checks held, 1 when one failed, 3 when it could not be set up.
/// </summary>
internal static class RunnerCommand
{
    public const int UsageError = 2;

    private const string Invocation = "dotnet run --project loadtests/Ranking.Gateway.LoadTests -c Release --";

    // Options of every scenario that starts gateways, and of every run.
    private static readonly Option[] Starts = [O.Gateway, O.Set, O.Postgres, O.Redis, O.Database, O.Users, O.Pin, O.Limit, O.Seed, O.Out];
    private static readonly Option[] Baselines = [O.BaselineDuration, O.BaselineConcurrency];

    private static readonly (string Name, string Description, Option[] Options)[] Scenarios =
    [
        (Arguments.StampedeCold, "--clients concurrent clients ask for one never-cached group at once.",
            [O.Url, O.Instances, .. Starts, .. Baselines, O.Group, O.Clients, O.Groups, O.OriginDelay, O.Fresh]),
        (Arguments.StampedeStale, "The same on a group whose entry is stale, with the origin made slow.",
            [O.Url, O.Instances, .. Starts, .. Baselines, O.Group, O.Clients, O.Groups, O.OriginDelay, O.Fresh]),
        (Arguments.Steady, "A Zipf-skewed read mix over --groups groups, open-loop (--rate) or closed-loop (--concurrency).",
            [O.Url, O.Instances, .. Starts, .. Baselines, O.Groups, O.Rate, O.Concurrency, O.Duration, O.Zipf, O.OriginDelay, O.Fresh]),
        (Arguments.RedisOutage, "Steady load while Redis is stopped and started again.",
            [O.Url, O.Instances, .. Starts, .. Baselines, O.Groups, O.Rate, O.Concurrency, O.Duration, O.Zipf, O.OriginDelay, O.Fresh, O.OutageAt, O.OutageFor, O.PrivateRedis]),
        (Arguments.RedisFreeze, "Steady load while a redis-server of the run's own is frozen (SIGSTOP) and thawed (SIGCONT): errors, p99 "
            + "against 2 × Gateway:RedisTimeout, how soon caching resumes.",
            [O.Instances, .. Starts, O.Groups, O.Rate, O.Duration, O.Zipf, O.OriginDelay, O.Fresh, O.OutageAt, O.OutageFor]),
        (Arguments.Flood, "One instance: a closed-loop flood of known-group reads, then one of never-seen ids (a fresh id per request), each "
            + "while a second client reads known groups open loop; with default settings (the bulkhead) and with Ranking:RejectUnknownGroups=true. "
            + "Reports the second client's p99 under each flood against the known flood's, Top-N queries, 503s and the most Top-N queries "
            + "PostgreSQL ran at once (pg_stat_activity every 50 ms).",
            [.. Starts, O.Groups, O.Concurrency, O.Duration, O.ProbeRate, O.OriginDelay, O.Fresh, O.SharedRedis]),
        (Arguments.Memory, "One instance reads --ids distinct group ids (the known groups and never-seen ones) as fast as --concurrency "
            + "clients go; the gateway's RSS every second, GC settings.",
            [.. Starts, O.Groups, O.Concurrency, O.Ids, O.SharedRedis]),
        (Arguments.Smoke, "A few seconds of small runs that fail (exit 1) if stampede protection fails.",
            [O.Instances, .. Starts, .. Baselines]),
        (Arguments.OverloadSmoke, "About 20 s on one instance with Ranking:RejectUnknownGroups: a never-seen-id flood, then a two-second Redis "
            + "freeze; fails (exit 1) if the flood reached PostgreSQL, a known read beside it failed, a request went unanswered or caching "
            + "did not resume after the freeze.",
            [.. Starts]),
        (Arguments.CompareModes, "The same read + write workload against each refresh mode (Ranking:Refresh:Mode) in turn, costs (SQL, Redis, "
            + "locks, CPU) and the staleness readers saw side by side; --smoke is a short variant with hard checks, --cost-growth short runs "
            + "at several group counts. Defaults below read full run / --smoke / --cost-growth.",
            [O.Instances, .. Starts, .. Baselines, O.Groups, O.Rate, O.Zipf, O.Duration, O.Modes, O.Period, O.WriteShare, O.WriteZipf, O.LeadIn, O.Idle, O.Smoke, O.CostGrowth, O.Elastic, O.Sizes, O.SharedRedis]),
        (Arguments.Changes, "Queue mode's change sources (Ranking:Refresh:Changes) side by side, Poll then Replication by default, two instances each: "
            + "a writer changing 1% of the groups a second (ten commits a second), time from each commit until every instance answers the new Top-100 "
            + "(a sample of the writes), database work per change (pg_stat_statements), the WAL the replication slot retains, then a burst of 10,000 "
            + "changes to 500 groups in one second: recomputes, batches, time until visible, backlog 5 s later.",
            [O.Instances, .. Starts, O.Groups, O.Rate, O.Zipf, O.Duration, O.Period, O.WriteShare, O.Changes]),
        (Arguments.Purge, "A soft purge of every group (POST /_admin/purge, 1,000 groups a call) 5 s into a read load on every instance: the most "
            + "Top-N queries PostgreSQL ran at once against the bulkheads, how long until every purged group is fresh again, no 5xx, no MISS, "
            + "one origin query per group.",
            [O.Instances, .. Starts, O.Groups, O.Rate, O.Duration, O.Zipf, O.Fresh, O.SharedRedis]),
        (Arguments.QueueDrain, "Queue mode's consumers against a backlog of every group, by fleet (--fleets instances × consumer loops), then "
            + "the default fleet once more with one poison group (its Top-N always fails): drain time, groups/s, batches, DB time, dead letters.",
            [O.Gateway, O.Set, O.Postgres, O.Redis, O.Database, O.Users, O.Seed, O.Out, O.Groups, O.Period, O.Fleets]),
        (Arguments.Audit, "The write audit, per refresh mode: a logged writer, a reader on each of two instances, and on a schedule PostgreSQL cut "
            + "from the gateways, Redis frozen and killed, an instance (in Queue mode the producer) killed and replaced; reports lost writes, how long "
            + "writes took to show on every instance, non-2xx answers for cached groups and regressions; --smoke is the short schedule.",
            [O.Gateway, O.Set, O.Postgres, O.Redis, O.Database, O.Seed, O.Out, O.Modes, O.Smoke]),
        (Arguments.Hit, "The FRESH hit side by side, one instance: the gateway, nginx proxy_cache in front of the same bytes (when nginx is "
            + "installed; with and without gzip) and a bare Kestrel endpoint returning them from memory (the ceiling), in --rounds closed-loop "
            + "rounds, then each open loop at half of the gateway's peak; the gateway and nginx again with Accept-Encoding: gzip. "
            + "--keys spreads the reads over that many groups (uniform, or Zipf with --zipf), every one cached first.",
            [.. Starts, .. Baselines, O.Groups, O.Users, O.Keys, O.Zipf, O.Duration, O.Rounds, O.Fresh]),
    ];

    /// <param name="run">Runs a scenario with its parsed arguments; returns the exit code.</param>
    public static RootCommand Create(Func<Arguments, Task<int>> run)
    {
        var root = new RootCommand(
            $"The load runner: starts gateway instances, seeds data and runs a scenario with baselines measured in the same run.{Environment.NewLine}"
            + $"Usage: {Invocation} <scenario> [options]; <scenario> --help lists its options. TIME is seconds or a number with ms / s / m, e.g. 500ms, 30s, 2m.");
        foreach (var (name, description, options) in Scenarios)
        {
            var command = new Command(name, description);
            foreach (var option in options)
            {
                command.Options.Add(option);
            }

            command.SetAction(async result =>
            {
                try
                {
                    return await run(Arguments.From(result, Environment.GetEnvironmentVariable));
                }
                catch (UsageException ex)
                {
                    return await ErrorAsync(name, [ex.Message]);
                }
            });
            root.Subcommands.Add(command);
        }

        // serve-baseline PORT BODY_FILE POSTGRES [HEADER: VALUE]...: the runner started as its own baseline server.
        var values = new Argument<string[]>("values") { Arity = ArgumentArity.OneOrMore };
        var serve = new Command(BaselineServer.Command) { Hidden = true };
        serve.Arguments.Add(values);
        serve.SetAction(result => BaselineServer.RunAsync(result.GetRequiredValue(values)));
        root.Subcommands.Add(serve);
        return root;
    }

    /// <summary>Parses and runs; a bad command line prints what is wrong and where the help is, and exits 2.</summary>
    public static async Task<int> InvokeAsync(RootCommand root, IReadOnlyList<string> args)
    {
        var result = root.Parse(args);
        if (result.Errors.Count == 0)
        {
            // The runner stops its gateways itself on Ctrl+C and SIGTERM (Program.cs), with no timeout of the library's; an
            // unexpected exception crashes the runner as it always did rather than exiting 1, which means "a check failed".
            return await result.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
        }

        var scenario = result.CommandResult.Command is RootCommand ? null : result.CommandResult.Command.Name;
        var misplaced = result.UnmatchedTokens
            .Where(token => scenario is not null && Scenarios.Any(s => s.Options.Any(o => o.Name == token)))
            .Select(token => $"{token} does not apply to {scenario}.");
        return await ErrorAsync(scenario, [.. result.Errors.Select(e => e.Message), .. misplaced]);
    }

    private static async Task<int> ErrorAsync(string? scenario, IEnumerable<string> messages)
    {
        foreach (var message in messages.Distinct())
        {
            await Console.Error.WriteLineAsync($"error: {message}");
        }

        await Console.Error.WriteLineAsync($"See: {Invocation} {(scenario is null ? "" : scenario + " ")}--help");
        return UsageError;
    }
}
