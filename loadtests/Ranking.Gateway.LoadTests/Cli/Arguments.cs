using System.Globalization;

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
    public const string Flood = "flood";
    public const string Memory = "memory";
    public const string RedisFreeze = "redis-freeze";
    public const string OverloadSmoke = "overload-smoke";

    /// <summary>flood, memory and redis-freeze read a database of the demo data's shape (1,000 groups × 1,000 users) of the runner's own.</summary>
    public const string DemoDatabase = "ranking_demo";

    /// <summary>The gateway's refresh modes (<c>Ranking:Refresh:Mode</c>), in the order compare-modes runs them.</summary>
    public static readonly string[] RefreshModes = ["Lazy", "CompetingLocks", "Queue", "Early"];

    private static readonly string[] Scenarios = [StampedeCold, StampedeStale, Steady, RedisOutage, RedisFreeze, Flood, Memory, Smoke, OverloadSmoke, CompareModes];

    // Scenarios that start gateways of their own (with settings, a Redis or processes they watch), never --url targets.
    private static readonly string[] OwnGateways = [Smoke, OverloadSmoke, CompareModes, Flood, Memory, RedisFreeze];

    // Scenarios whose baselines are measured in the run itself (a known-id flood, the RSS before the load, the latency
    // before the freeze), not the hit/ceiling/origin phases --baseline-duration sets.
    private static readonly string[] InRunBaselines = [Flood, Memory, RedisFreeze, OverloadSmoke];

    private static readonly string[] Flags = ["--private-redis", "--pin", "--smoke", "--cost-growth", "--shared-redis"];

    // Options each scenario accepts beyond the common ones, so a misplaced option is an error, not ignored.
    private static readonly Dictionary<string, string[]> ScenarioOptions = new()
    {
        [StampedeCold] = ["--group", "--clients", "--groups", "--origin-delay", "--fresh"],
        [StampedeStale] = ["--group", "--clients", "--groups", "--origin-delay", "--fresh"],
        [Steady] = ["--groups", "--rate", "--concurrency", "--duration", "--zipf", "--origin-delay", "--fresh"],
        [RedisOutage] = ["--groups", "--rate", "--concurrency", "--duration", "--zipf", "--origin-delay", "--fresh", "--outage-at", "--outage-for", "--private-redis"],
        [RedisFreeze] = ["--groups", "--rate", "--duration", "--zipf", "--origin-delay", "--fresh", "--outage-at", "--outage-for"],
        [Flood] = ["--groups", "--concurrency", "--duration", "--probe-rate", "--origin-delay", "--fresh", "--shared-redis"],
        [Memory] = ["--groups", "--concurrency", "--ids", "--shared-redis"],
        [Smoke] = [],
        [OverloadSmoke] = [],
        [CompareModes] = ["--groups", "--rate", "--zipf", "--duration", "--modes", "--period", "--write-share", "--lead-in", "--idle", "--smoke", "--cost-growth", "--sizes", "--shared-redis"],
    };

    private static readonly string[] CommonOptions =
        ["--url", "--instances", "--gateway", "--set", "--pg", "--redis", "--database", "--users", "--limit", "--baseline-duration", "--baseline-concurrency", "--seed", "--out", "--pin"];

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

    public int Seed { get; init; } = 1;

    /// <summary>compare-modes: the refresh modes to run, in order.</summary>
    public IReadOnlyList<string> Modes { get; init; } = RefreshModes;

    /// <summary>compare-modes: <c>Ranking:Refresh:Period</c>, standing for the document's one minute.</summary>
    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>compare-modes: the share of groups the writer changes every second.</summary>
    public double WriteShare { get; init; } = 0.01;

    /// <summary>compare-modes: reads and writes before the measured window (the cache settles into its steady state).</summary>
    public TimeSpan LeadIn { get; init; }

    /// <summary>compare-modes: writes but no reads, before the read load: what a mode costs on its own.</summary>
    public TimeSpan Idle { get; init; }

    /// <summary>compare-modes: a few seconds per mode on a tiny data set, with checks that fail when a mode is broken.</summary>
    public bool SmokeRun { get; init; }

    /// <summary>compare-modes: short runs per mode at each of <see cref="Sizes"/> groups.</summary>
    public bool CostGrowth { get; init; }

    public IReadOnlyList<int> Sizes { get; init; } = [1_000, 10_000, 100_000];

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

    /// <exception cref="UsageException">The command line is not valid.</exception>
    public static Arguments Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        if (args.Count == 0)
        {
            throw new UsageException("no scenario given.");
        }

        var scenario = args[0];
        if (!Scenarios.Contains(scenario))
        {
            throw new UsageException($"unknown scenario '{scenario}'; expected one of {string.Join(", ", Scenarios)}.");
        }

        var values = new Dictionary<string, List<string>>();
        for (var i = 1; i < args.Count; i++)
        {
            var name = args[i];
            if (!CommonOptions.Contains(name) && !ScenarioOptions[scenario].Contains(name))
            {
                throw new UsageException(ScenarioOptions.Values.Any(list => list.Contains(name))
                    ? $"{name} does not apply to {scenario}."
                    : $"unknown option '{name}'.");
            }

            if (Flags.Contains(name))
            {
                values[name] = ["true"];
                continue;
            }

            if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"{name} needs a value.");
            }

            if (!values.TryGetValue(name, out var list))
            {
                values[name] = list = [];
            }
            else if (name is not ("--url" or "--set"))
            {
                throw new UsageException($"{name} is given twice.");
            }

            list.Add(args[++i]);
        }

        var stale = scenario == StampedeStale;
        var stampede = scenario is StampedeCold or StampedeStale;
        var demo = scenario is Flood or Memory or RedisFreeze or OverloadSmoke;
        var flooding = scenario is Flood or Memory or OverloadSmoke;
        var modes = scenario == CompareModes ? ModeDefaults.For(values.ContainsKey("--smoke"), values.ContainsKey("--cost-growth")) : null;
        var period = Time(values, "--period", modes?.Period ?? TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
        var parsed = new Arguments
        {
            Scenario = scenario,
            Urls = values.GetValueOrDefault("--url", []).Select(ParseUrl).ToArray(),
            Instances = Int(values, "--instances", flooding ? 1 : 2, 1, 16),
            GatewayDll = Text(values, "--gateway"),
            Settings = values.GetValueOrDefault("--set", []).Select(ParseSetting).ToArray(),
            Postgres = Text(values, "--pg") ?? environment("ConnectionStrings__Postgres")
                ?? "Host=127.0.0.1;Port=5479;Database=ranking;Username=ranking;Password=ranking",
            Redis = Text(values, "--redis") ?? environment("ConnectionStrings__Redis") ?? "127.0.0.1:6479",
            Database = Text(values, "--database") is { } database ? DatabaseName(database) : modes is not null ? "ranking_modes" : demo ? DemoDatabase : "ranking_loadtest",
            Users = Int(values, "--users", modes?.Users ?? 1000, 1, 1_000_000),
            Groups = Int(values, "--groups", modes?.Groups ?? (stampede || demo ? 1000 : 10_000), 1, 10_000_000),
            Group = Text(values, "--group") is { } group ? GroupId(group) : null,
            Clients = Int(values, "--clients", 1000, 1, 100_000),
            Rate = values.ContainsKey("--rate") ? Number(values, "--rate", 0, 1, 1_000_000)
                : modes is not null ? modes.Rate
                : scenario is RedisOutage or RedisFreeze && !values.ContainsKey("--concurrency") ? 1000 : null,
            Concurrency = values.ContainsKey("--concurrency") ? Int(values, "--concurrency", 0, 1, 100_000) : flooding ? 64 : null,
            Duration = Time(values, "--duration", modes is not null ? period * modes.WindowPeriods : demo ? TimeSpan.FromSeconds(20) : TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1)),
            Zipf = Number(values, "--zipf", 1.1, 0, 10),
            Limit = Int(values, "--limit", 100, 1, 100),
            OriginDelay = Time(values, "--origin-delay", stale ? TimeSpan.FromSeconds(2) : TimeSpan.Zero, TimeSpan.Zero),
            Fresh = values.ContainsKey("--fresh") ? Time(values, "--fresh", TimeSpan.Zero, TimeSpan.FromSeconds(1))
                : stale ? TimeSpan.FromSeconds(5)
                : scenario == Flood ? TimeSpan.FromMinutes(10)
                : null,
            OutageAt = Time(values, "--outage-at", TimeSpan.FromSeconds(5), TimeSpan.Zero),
            OutageFor = Time(values, "--outage-for", TimeSpan.FromSeconds(scenario == RedisFreeze ? 4 : 10), TimeSpan.FromSeconds(1)),
            PrivateRedis = values.ContainsKey("--private-redis"),
            Pin = values.ContainsKey("--pin"),
            BaselineDuration = Time(values, "--baseline-duration", TimeSpan.FromSeconds(5), TimeSpan.Zero),
            BaselineConcurrency = Int(values, "--baseline-concurrency", 32, 1, 10_000),
            Seed = Int(values, "--seed", 1, 0, int.MaxValue),
            OutDir = Text(values, "--out"),
            Modes = Text(values, "--modes") is { } modeList ? ModeList(modeList) : RefreshModes,
            Period = period,
            WriteShare = Text(values, "--write-share") is { } share ? Share(share) : modes?.WriteShare ?? 0.01,
            LeadIn = Time(values, "--lead-in", period * (modes?.LeadInPeriods ?? 0), TimeSpan.Zero),
            Idle = Time(values, "--idle", period * (modes?.IdlePeriods ?? 0), TimeSpan.Zero),
            SmokeRun = values.ContainsKey("--smoke"),
            CostGrowth = values.ContainsKey("--cost-growth"),
            Sizes = Text(values, "--sizes") is { } sizes ? SizeList(sizes) : [1_000, 10_000, 100_000],
            SharedRedis = values.ContainsKey("--shared-redis"),
            ProbeRate = Number(values, "--probe-rate", 200, 1, 100_000),
            Ids = Int(values, "--ids", 1_000_000, 1, 100_000_000),
        };
        parsed.Validate(values);
        return parsed;
    }

    private void Validate(Dictionary<string, List<string>> values)
    {
        if (Rate is not null && Concurrency is not null)
        {
            throw new UsageException("give --rate (open loop) or --concurrency (closed loop), not both.");
        }

        if (!StartsInstances)
        {
            foreach (var name in new[] { "--instances", "--gateway", "--set", "--database", "--users", "--origin-delay", "--fresh", "--private-redis", "--pin" })
            {
                if (values.ContainsKey(name))
                {
                    throw new UsageException($"{name} configures gateways the runner starts; it cannot be combined with --url.");
                }
            }

            if (OwnGateways.Contains(Scenario))
            {
                throw new UsageException($"{Scenario} starts its own gateways; it cannot be combined with --url.");
            }
        }

        if (InRunBaselines.Contains(Scenario) && values.Keys.FirstOrDefault(k => k.StartsWith("--baseline-", StringComparison.Ordinal)) is { } baseline)
        {
            throw new UsageException($"{baseline} does not apply to {Scenario}: its baseline is measured in the run itself.");
        }

        if (Scenario is Flood or Memory or OverloadSmoke && Instances != 1)
        {
            throw new UsageException($"{Scenario} measures one instance (its RSS, its bulkhead); --instances does not apply.");
        }

        if (Scenario == Memory && Ids <= Groups)
        {
            throw new UsageException($"--ids ({Ids:N0}) must be more than --groups ({Groups:N0}): the ids are the known groups plus unknown ones.");
        }

        if (SmokeRun && CostGrowth)
        {
            throw new UsageException("--smoke and --cost-growth are different runs; give one.");
        }

        if (values.ContainsKey("--sizes") && !CostGrowth)
        {
            throw new UsageException("--sizes applies to --cost-growth (a plain compare-modes run uses --groups).");
        }

        if (values.ContainsKey("--groups") && CostGrowth)
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

    private static string? Text(Dictionary<string, List<string>> values, string name) =>
        values.TryGetValue(name, out var list) ? list[0] : null;

    private static int Int(Dictionary<string, List<string>> values, string name, int fallback, int min, int max)
    {
        if (Text(values, name) is not { } text)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{name} '{text}' is not a whole number from {min} to {max:N0}.");
    }

    private static double Number(Dictionary<string, List<string>> values, string name, double fallback, double min, double max)
    {
        if (Text(values, name) is not { } text)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{name} '{text}' is not a number from {min} to {max:N0}.");
    }

    private static TimeSpan Time(Dictionary<string, List<string>> values, string name, TimeSpan fallback, TimeSpan min)
    {
        if (Text(values, name) is not { } text)
        {
            return fallback;
        }

        var (number, scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1.0),
            _ when text.EndsWith('m') => (text[..^1], 60.0),
            _ => (text, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || value > 86_400)
        {
            throw new UsageException($"{name} '{text}' is not a duration (seconds, or a number with ms / s / m).");
        }

        var time = TimeSpan.FromSeconds(value * scale);
        return time >= min ? time : throw new UsageException($"{name} must be at least {min.TotalSeconds:0.###}s.");
    }

    private static string[] ModeList(string text)
    {
        var modes = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(m => RefreshModes.FirstOrDefault(known => known.Equals(m, StringComparison.OrdinalIgnoreCase))
                ?? throw new UsageException($"--modes: '{m}' is not one of {string.Join(", ", RefreshModes)}."))
            .Distinct()
            .ToArray();
        return modes.Length > 0 ? modes : throw new UsageException("--modes needs at least one mode.");
    }

    private static int[] SizeList(string text)
    {
        var sizes = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s.Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 10_000_000
                ? n
                : throw new UsageException($"--sizes: '{s}' is not a whole number from 1 to 10,000,000."))
            .Distinct()
            .Order()
            .ToArray();
        return sizes.Length > 0 ? sizes : throw new UsageException("--sizes needs at least one group count.");
    }

    // "1%" or "0.01".
    private static double Share(string text)
    {
        var percent = text.EndsWith('%');
        return double.TryParse(percent ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && (percent ? value / 100 : value) is > 0 and <= 1 and var share
            ? share
            : throw new UsageException($"--write-share '{text}' is not a share of the groups above 0 and at most 1 (e.g. 1% or 0.01).");
    }

    private static Uri ParseUrl(string text) =>
        Uri.TryCreate(text.TrimEnd('/'), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new UsageException($"--url '{text}' is not an http(s) URL.");

    private static string ParseSetting(string text) =>
        text.IndexOf('=', StringComparison.Ordinal) > 0 ? text : throw new UsageException($"--set '{text}' is not KEY=VALUE.");

    private static string DatabaseName(string text) =>
        text.Length is > 0 and <= 63 && text.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_') && !char.IsAsciiDigit(text[0])
            ? text
            : throw new UsageException($"--database '{text}': use lower-case letters, digits and '_' (at most 63).");

    private static string GroupId(string text) =>
        text.Length is > 0 and <= 64 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or ':' or '-') && char.IsAsciiLetterOrDigit(text[0])
            ? text
            : throw new UsageException($"--group '{text}' is not a valid group id.");
}
