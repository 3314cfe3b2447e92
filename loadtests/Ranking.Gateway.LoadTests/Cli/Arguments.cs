using System.CommandLine;
using System.Globalization;
using O = Ranking.Gateway.LoadTests.Cli.RunnerOptions;

namespace Ranking.Gateway.LoadTests.Cli;

/// <summary>The parsed command line, with each scenario's defaults filled in.</summary>
internal sealed record Arguments
{
    public const string StampedeCold = "stampede-cold";
    public const string StampedeStale = "stampede-stale";
    public const string Steady = "steady";
    public const string RedisOutage = "redis-outage";
    public const string Smoke = "smoke";
    public const string CompareModes = "compare-modes";
    public const string QueueDrain = "queue-drain";
    public const string Flood = "flood";
    public const string Memory = "memory";
    public const string RedisFreeze = "redis-freeze";
    public const string OverloadSmoke = "overload-smoke";

    public const string Purge = "purge";
    public const string Hit = "hit";
    public const string Audit = "audit";
    public const string Changes = "changes";

    /// <summary>flood, memory, redis-freeze and hit read a database of the demo data's shape (1,000 groups × 1,000 users) of the runner's own.</summary>
    public const string DemoDatabase = "ranking_demo";

    /// <summary>The gateway's refresh modes (<c>Ranking:Refresh:Mode</c>), in the order compare-modes runs them.</summary>
    public static readonly string[] RefreshModes = ["Lazy", "CompetingLocks", "Queue", "Early"];

    /// <summary>Queue mode's change sources (<c>Ranking:Refresh:Changes</c>), in the order the changes scenario runs them.</summary>
    public static readonly string[] ChangeSources = ["Poll", "Replication"];

    // Scenarios whose baselines are measured in the run itself (a known-id flood, the RSS before the load, the latency
    // before the freeze, the hit's own rounds), not the hit/ceiling/origin phases --baseline-duration sets.
    private static readonly string[] InRunBaselines = [Flood, Memory, RedisFreeze, OverloadSmoke, Hit];

    public required string Scenario { get; init; }

    public IReadOnlyList<Uri> Urls { get; init; } = [];

    public int Instances { get; init; } = 2;

    public string? GatewayDll { get; init; }

    public IReadOnlyList<string> Settings { get; init; } = [];

    public required string Postgres { get; init; }

    public required string Redis { get; init; }

    public string Database { get; init; } = "ranking_loadtest";

    public int Users { get; init; } = 1000;

    public int Groups { get; init; }

    public string? Group { get; init; }

    public int Clients { get; init; } = 1000;

    /// <summary>Open-loop rate; null with no <see cref="Concurrency"/> means "half the measured peak".</summary>
    public double? Rate { get; init; }

    public int? Concurrency { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    public double Zipf { get; init; } = 1.1;

    /// <summary>hit: the distinct groups read (g1..gN); 1 is the one hot key.</summary>
    public int Keys { get; init; } = 1;

    public int Limit { get; init; } = 100;

    public TimeSpan OriginDelay { get; init; }

    public TimeSpan? Fresh { get; init; }

    public TimeSpan OutageAt { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan OutageFor { get; init; } = TimeSpan.FromSeconds(10);

    public bool PrivateRedis { get; init; }

    /// <summary>Servers the runner starts on CPU 0, the runner itself (the load generator) on CPU 1.</summary>
    public bool Pin { get; init; }

    public TimeSpan BaselineDuration { get; init; } = TimeSpan.FromSeconds(5);

    public int BaselineConcurrency { get; init; } = 32;

    /// <summary>hit: closed-loop rounds over the targets; the median round counts.</summary>
    public int Rounds { get; init; } = 3;

    public int Seed { get; init; } = 1;

    /// <summary>changes: the change sources to run, in order.</summary>
    public IReadOnlyList<string> Sources { get; init; } = ChangeSources;

    /// <summary>compare-modes: the refresh modes to run, in order.</summary>
    public IReadOnlyList<string> Modes { get; init; } = RefreshModes;

    /// <summary>compare-modes: <c>Ranking:Refresh:Period</c>, standing for the document's one minute.</summary>
    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>compare-modes: the share of groups the writer changes every second.</summary>
    public double WriteShare { get; init; } = 0.01;

    /// <summary>
    /// compare-modes: 0, the writer picks groups uniformly (writes unrelated to reads); above 0, Zipf with this exponent
    /// over the readers' numbering, so the groups read most are written most.
    /// </summary>
    public double WriteZipf { get; init; }

    /// <summary>compare-modes: reads and writes before the measured window (the cache settles into its steady state).</summary>
    public TimeSpan LeadIn { get; init; }

    /// <summary>compare-modes: writes but no reads, before the read load: what a mode costs on its own.</summary>
    public TimeSpan Idle { get; init; }

    /// <summary>compare-modes: a few seconds per mode on a tiny data set, with checks that fail when a mode is broken.</summary>
    public bool SmokeRun { get; init; }

    /// <summary>compare-modes: short runs per mode at each of <see cref="Sizes"/> groups.</summary>
    public bool CostGrowth { get; init; }

    /// <summary>compare-modes: an instance joins a third into the measured window and the first leaves two thirds in.</summary>
    public bool Elastic { get; init; }

    public IReadOnlyList<int> Sizes { get; init; } = [1_000, 10_000, 100_000];

    /// <summary>queue-drain: the fleets to drain a backlog with, instances × consumer loops per instance.</summary>
    public IReadOnlyList<(int Instances, int Consumers)> Fleets { get; init; } = [(1, 1), (1, 2), (1, 4), (2, 1), (3, 1)];

    /// <summary>compare-modes: use the project's Redis (--redis) instead of a redis-server of the run's own per mode.</summary>
    public bool SharedRedis { get; init; }

    /// <summary>flood: open-loop rate of the known-group reads from the second client, whose latency is measured.</summary>
    public double ProbeRate { get; init; } = 200;

    /// <summary>memory: distinct group ids to read, the known groups among them.</summary>
    public int Ids { get; init; } = 1_000_000;

    public string? OutDir { get; init; }

    public bool StartsInstances => Urls.Count == 0;

    /// <summary>The scenario measures its baselines in the run itself, not with the --baseline-duration phases.</summary>
    public bool BaselinesInRun => InRunBaselines.Contains(Scenario);

    /// <summary>The parsed command line of one scenario, with that scenario's defaults for every option not given.</summary>
    /// <exception cref="UsageException">The options do not fit together.</exception>
    public static Arguments From(ParseResult result, Func<string, string?> environment)
    {
        var scenario = result.CommandResult.Command.Name;
        var stale = scenario == StampedeStale;
        var stampede = scenario is StampedeCold or StampedeStale;
        var demo = scenario is Flood or Memory or RedisFreeze or OverloadSmoke or Hit;
        var oneInstance = scenario is Flood or Memory or OverloadSmoke or Hit;
        var flooding = scenario is Flood or Memory or OverloadSmoke;
        var drain = scenario is QueueDrain or Purge;
        var changes = scenario == Changes;
        var modes = scenario == CompareModes ? ModeDefaults.For(result.GetValue(O.Smoke), result.GetValue(O.CostGrowth)) : null;
        var period = result.GetValue(O.Period) ?? modes?.Period ?? TimeSpan.FromSeconds(changes ? 60 : 5);
        var parsed = new Arguments
        {
            Scenario = scenario,
            Urls = result.GetValue(O.Url) ?? [],
            Instances = result.GetValue(O.Instances) ?? (oneInstance ? 1 : 2),
            GatewayDll = result.GetValue(O.Gateway),
            Settings = result.GetValue(O.Set) ?? [],
            Postgres = result.GetValue(O.Postgres) ?? environment("ConnectionStrings__Postgres")
                ?? "Host=127.0.0.1;Port=5479;Database=ranking;Username=ranking;Password=ranking",
            Redis = result.GetValue(O.Redis) ?? environment("ConnectionStrings__Redis") ?? "127.0.0.1:6479",
            Database = result.GetValue(O.Database) ?? (modes is not null || drain ? "ranking_modes" : changes ? "ranking_changes" : scenario == Audit ? "ranking_audit" : demo ? DemoDatabase : "ranking_loadtest"),
            Users = result.GetValue(O.Users) ?? modes?.Users ?? (drain || changes ? 100 : 1000),
            Groups = result.GetValue(O.Groups) ?? modes?.Groups ?? (drain ? 10_000 : stampede || demo ? 1000 : 10_000),
            Group = result.GetValue(O.Group),
            Clients = result.GetValue(O.Clients) ?? 1000,
            Rate = result.GetValue(O.Rate)
                ?? modes?.Rate
                ?? (changes ? 200.0 : (double?)null)
                ?? (scenario is RedisOutage or RedisFreeze or Purge && result.GetResult(O.Concurrency) is null ? 1000 : null),
            Concurrency = result.GetValue(O.Concurrency) ?? (flooding ? 64 : null),
            Duration = result.GetValue(O.Duration)
                ?? (modes is not null ? period * modes.WindowPeriods : changes ? TimeSpan.FromSeconds(120) : scenario == Hit ? TimeSpan.FromSeconds(10) : scenario == Purge ? TimeSpan.FromSeconds(60) : demo ? TimeSpan.FromSeconds(20) : TimeSpan.FromSeconds(30)),
            Zipf = result.GetValue(O.Zipf) ?? (scenario == Hit ? 0 : 1.1),
            Keys = result.GetValue(O.Keys) ?? 1,
            Limit = result.GetValue(O.Limit) ?? 100,
            OriginDelay = result.GetValue(O.OriginDelay) ?? (stale ? TimeSpan.FromSeconds(2) : TimeSpan.Zero),
            Fresh = result.GetValue(O.Fresh)
                ?? (stale ? TimeSpan.FromSeconds(5)
                : scenario is Flood or Hit or Purge ? TimeSpan.FromMinutes(10)
                : null),
            OutageAt = result.GetValue(O.OutageAt) ?? TimeSpan.FromSeconds(5),
            OutageFor = result.GetValue(O.OutageFor) ?? TimeSpan.FromSeconds(scenario == RedisFreeze ? 4 : 10),
            PrivateRedis = result.GetValue(O.PrivateRedis),
            Pin = result.GetValue(O.Pin),
            BaselineDuration = result.GetValue(O.BaselineDuration) ?? TimeSpan.FromSeconds(5),
            BaselineConcurrency = result.GetValue(O.BaselineConcurrency) ?? 32,
            Rounds = result.GetValue(O.Rounds) ?? 3,
            Seed = result.GetValue(O.Seed) ?? 1,
            OutDir = result.GetValue(O.Out),
            Modes = result.GetValue(O.Modes) is { Length: > 0 } modeList ? modeList : RefreshModes,
            Sources = result.GetValue(O.Changes) is { Length: > 0 } sources ? sources : ChangeSources,
            Period = period,
            WriteShare = result.GetValue(O.WriteShare) ?? modes?.WriteShare ?? 0.01,
            WriteZipf = result.GetValue(O.WriteZipf) ?? 0,
            LeadIn = result.GetValue(O.LeadIn) ?? period * (modes?.LeadInPeriods ?? 0),
            Idle = result.GetValue(O.Idle) ?? period * (modes?.IdlePeriods ?? 0),
            SmokeRun = result.GetValue(O.Smoke),
            CostGrowth = result.GetValue(O.CostGrowth),
            Elastic = result.GetValue(O.Elastic),
            Sizes = result.GetValue(O.Sizes) is { Length: > 0 } sizes ? sizes : [1_000, 10_000, 100_000],
            Fleets = result.GetValue(O.Fleets) is { Length: > 0 } fleets ? fleets : [(1, 1), (1, 2), (1, 4), (2, 1), (3, 1)],
            SharedRedis = result.GetValue(O.SharedRedis),
            ProbeRate = result.GetValue(O.ProbeRate) ?? 200,
            Ids = result.GetValue(O.Ids) ?? 1_000_000,
        };
        parsed.Validate(option => result.GetResult(option) is not null);
        return parsed;
    }

    private void Validate(Func<Option, bool> given)
    {
        if (Rate is not null && Concurrency is not null)
        {
            throw new UsageException("give --rate (open loop) or --concurrency (closed loop), not both.");
        }

        if (!StartsInstances)
        {
            if (new Option[] { O.Instances, O.Gateway, O.Set, O.Database, O.Users, O.OriginDelay, O.Fresh, O.PrivateRedis, O.Pin }.FirstOrDefault(given) is { } option)
            {
                throw new UsageException($"{option.Name} configures gateways the runner starts; it cannot be combined with --url.");
            }
        }

        if (Scenario == Hit && BaselineDuration < TimeSpan.FromSeconds(1))
        {
            throw new UsageException("hit: --baseline-duration is the length of each closed-loop phase; give at least 1s.");
        }

        if (Scenario == Hit && Keys > Groups)
        {
            throw new UsageException($"hit: --keys ({Keys:N0}) must be at most --groups ({Groups:N0}), the groups seeded.");
        }

        if (Scenario == Memory && Ids <= Groups)
        {
            throw new UsageException($"--ids ({Ids:N0}) must be more than --groups ({Groups:N0}): the ids are the known groups plus unknown ones.");
        }

        if (Scenario == CompareModes && Users > 100)
        {
            throw new UsageException($"compare-modes: --users ({Users:N0}) must be at most 100, so that every write changes its group's Top-100 (the staleness measure counts an answer behind every write after its generatedAt).");
        }

        if (Scenario == Changes && Users > 100)
        {
            throw new UsageException($"changes: --users ({Users:N0}) must be at most 100, so that every user is in its group's Top-100 and every write shows in the answer.");
        }

        if (SmokeRun && CostGrowth)
        {
            throw new UsageException("--smoke and --cost-growth are different runs; give one.");
        }

        if (Elastic && (SmokeRun || CostGrowth))
        {
            throw new UsageException("--elastic is a plain compare-modes run; it does not combine with --smoke or --cost-growth.");
        }

        if (given(O.Sizes) && !CostGrowth)
        {
            throw new UsageException("--sizes applies to --cost-growth (a plain compare-modes run uses --groups).");
        }

        if (given(O.Groups) && CostGrowth)
        {
            throw new UsageException("--cost-growth runs each of --sizes groups; --groups does not apply.");
        }

        if (Scenario is RedisOutage or RedisFreeze && OutageAt + OutageFor >= Duration)
        {
            throw new UsageException($"--outage-at + --outage-for ({(OutageAt + OutageFor).TotalSeconds:0.#}s) must end before --duration ({Duration.TotalSeconds:0.#}s).");
        }

        if (Group is not null && StartsInstances && !IsSeededGroup(Group))
        {
            throw new UsageException($"--group {Group}: started gateways read the seeded groups g1..g{Groups}.");
        }
    }

    private bool IsSeededGroup(string group) =>
        group.StartsWith('g') && int.TryParse(group.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= Groups;
}
