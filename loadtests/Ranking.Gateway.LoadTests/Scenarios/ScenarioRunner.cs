using Ranking.Gateway.LoadTests.Cli;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Report;
using Ranking.Gateway.LoadTests.Scenarios.Audit;
using Ranking.Gateway.LoadTests.Scenarios.Changes;
using Ranking.Gateway.LoadTests.Scenarios.Hit;
using Ranking.Gateway.LoadTests.Scenarios.Modes;
using Ranking.Gateway.LoadTests.Scenarios.Overload;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>Sets up what a scenario needs, runs it, and tears everything down again, whatever happens.</summary>
internal static class ScenarioRunner
{
    private delegate Task Scenario(TestBed bed, RunReport report, CancellationToken cancellationToken);

    public static async Task<RunReport> RunAsync(Arguments args, IReadOnlyList<string> commandLine, CancellationToken cancellationToken)
    {
        if (args.Scenario == Arguments.Audit)
        {
            // One test bed per mode, as compare-modes.
            return await AuditScenario.RunAsync(args, commandLine, cancellationToken);
        }

        if (args.Scenario == Arguments.QueueDrain)
        {
            return await QueueDrainScenario.RunAsync(args, commandLine, cancellationToken);
        }

        if (args.Scenario == Arguments.Changes)
        {
            // One test bed per change source, as compare-modes has per mode.
            var changes = await ChangesScenario.RunAsync(args, commandLine, cancellationToken);
            AddLoadNotes(changes);
            return changes;
        }

        if (args.Scenario == Arguments.CompareModes)
        {
            // One test bed per mode (gateways configured for it), so the scenario sets them up itself.
            var modes = await CompareModesScenario.RunAsync(args, commandLine, cancellationToken);
            AddLoadNotes(modes);
            return modes;
        }

        var baselines = args.BaselineDuration > TimeSpan.Zero;
        (string Title, TestBedOptions Options, Scenario Run) plan = args.Scenario switch
        {
            Arguments.StampedeCold => (
                $"stampede-cold: {args.Clients:N0} clients on one never-cached group",
                new TestBedOptions(args.Groups, args.OriginDelay, args.Fresh, baselines),
                StampedeColdScenario.RunAsync),
            Arguments.StampedeStale => (
                $"stampede-stale: {args.Clients:N0} clients on one stale group, origin {args.OriginDelay.TotalSeconds:0.###} s slow",
                new TestBedOptions(args.Groups, args.OriginDelay, args.Fresh, baselines),
                StampedeStaleScenario.RunAsync),
            Arguments.Steady => (
                $"steady: Zipf mix over {args.Groups:N0} groups",
                new TestBedOptions(args.Groups, args.OriginDelay, args.Fresh, baselines),
                SteadyScenario.RunAsync),
            Arguments.RedisOutage => (
                $"redis-outage: Redis down {args.OutageFor.TotalSeconds:0.#} s under steady load",
                new TestBedOptions(args.Groups, args.OriginDelay, args.Fresh, baselines, args.PrivateRedis),
                RedisOutageScenario.RunAsync),
            Arguments.RedisFreeze => (
                $"redis-freeze: Redis frozen (SIGSTOP) {args.OutageFor.TotalSeconds:0.#} s under steady load",
                new TestBedOptions(args.Groups, args.OriginDelay, args.Fresh, HitGateway: false, PrivateRedis: true),
                RedisFreezeScenario.RunAsync),
            Arguments.Flood => (
                $"flood: never-seen group ids against known ones, {args.Concurrency} connections, one instance",
                new TestBedOptions(args.Groups, args.OriginDelay, args.Fresh, HitGateway: false, PrivateRedis: !args.SharedRedis),
                FloodScenario.RunAsync),
            Arguments.Memory => (
                $"memory: {args.Ids:N0} distinct group ids through one instance",
                new TestBedOptions(args.Groups, args.OriginDelay, args.Fresh, HitGateway: false, PrivateRedis: !args.SharedRedis),
                MemoryScenario.RunAsync),
            Arguments.Hit => (
                "hit: the FRESH hit beside nginx proxy_cache and the in-memory Kestrel ceiling, one instance",
                new TestBedOptions(args.Groups, TimeSpan.Zero, args.Fresh, HitGateway: false),
                HitScenario.RunAsync),
            Arguments.Purge => (
                $"purge: a soft purge of all {args.Groups:N0} groups under {args.Rate ?? 1000:N0} reads/s on {args.Instances} instance(s)",
                new TestBedOptions(args.Groups, TimeSpan.Zero, args.Fresh, HitGateway: false, PrivateRedis: !args.SharedRedis, PurgeScenario.Settings),
                PurgeScenario.RunAsync),
            Arguments.OverloadSmoke => (
                "overload-smoke: a never-seen-id flood and a two-second Redis freeze, one instance with RejectUnknownGroups",
                new TestBedOptions(OverloadSmokeScenario.Groups, TimeSpan.Zero, OverloadSmokeScenario.Fresh, HitGateway: false, PrivateRedis: true, OverloadSmokeScenario.Settings),
                OverloadSmokeScenario.RunAsync),
            _ => (
                "smoke: cold and stale stampedes, short steady mix",
                new TestBedOptions(SmokeScenario.Groups, SmokeScenario.OriginDelay, SmokeScenario.Fresh, HitGateway: false),
                SmokeScenario.RunAsync),
        };

        if (args.Scenario == Arguments.Smoke)
        {
            args = args with { Users = SmokeScenario.Users, BaselineDuration = TimeSpan.Zero };
        }

        if (args.Scenario == Arguments.OverloadSmoke)
        {
            args = args with { Groups = OverloadSmokeScenario.Groups, ProbeRate = OverloadSmokeScenario.ProbeRate, Concurrency = OverloadSmokeScenario.Connections };
        }

        await using var bed = await TestBed.StartAsync(args, plan.Options, cancellationToken);
        var report = new RunReport
        {
            Scenario = args.Scenario,
            Title = plan.Title,
            RunId = bed.RunId,
            CommandLine = commandLine,
            OutDirectory = bed.OutDirectory,
        };
        report.Setup.AddRange(bed.Setup);
        if (args.Scenario is not (Arguments.Smoke or Arguments.OverloadSmoke))
        {
            await Warmup.GatewaysAsync(bed);
            var baselineTargets = args.BaselineDuration > TimeSpan.Zero && !args.BaselinesInRun ? "; each baseline target too" : "";
            report.Setup.Add($"Each instance was warmed up for {Warmup.Length.TotalSeconds:0} s (reads of an unknown group) before anything was measured{baselineTargets}.");
        }

        await plan.Run(bed, report, cancellationToken);
        AddLoadNotes(report);
        if (bed.Origin.PostgresProblem is { } problem)
        {
            report.Notes.Add(problem);
        }

        return report;
    }

    // Whether the load generator kept its schedule, which every figure of an open-loop phase depends on.
    private static void AddLoadNotes(RunReport report)
    {
        foreach (var phase in report.AllPhases.Where(p => p.NotSent > 0))
        {
            report.Notes.Add($"{phase.Name}: {phase.NotSent:N0} requests were not sent ({OpenLoop.MaxInFlight:N0} already in flight): the rate was not kept, so this phase's figures are not valid.");
        }

        foreach (var phase in report.AllPhases.Where(p => p.Late > 0))
        {
            report.Notes.Add($"{phase.Name}: the load generator sent {phase.Late:N0} requests ({100.0 * phase.Late / Math.Max(1, phase.Samples.Length):0.##}%) more than 5 ms after they were due ({(CpuPinning.IsPinned ? "on its own CPU, shared only with Redis and PostgreSQL" : "it shares the CPU with the servers")}).");
        }
    }
}
