using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Ranking.Gateway.LoadTests.Cli;

/// <summary>
/// Every option of the runner, once. A scenario's command adds the ones it accepts (<see cref="RunnerCommand"/>), so
/// one that does not apply is an unknown option there. None has a default value of its own: defaults depend on the
/// scenario (and compare-modes' on --smoke / --cost-growth), and <see cref="Arguments.From"/> fills them in (a list option
/// not given reads as an empty list).
/// </summary>
internal static class RunnerOptions
{
    public static readonly Option<Uri[]> Url = new("--url")
    {
        Description = "An already-running gateway (repeatable); without it the runner starts --instances.",
        HelpName = "URL",
        CustomParser = result => [.. result.Tokens.Select(token => ParseUrl(result, token.Value))],
    };

    public static readonly Option<int?> Instances = Int("--instances", 1, 16,
        "Gateways to start (default 2), each on a free port with a key prefix of its own run.");

    public static readonly Option<string?> Gateway = new("--gateway")
    {
        Description = "The gateway dll to start (default src/Ranking.Gateway/bin/<configuration>/net10.0/).",
        HelpName = "PATH",
    };

    public static readonly Option<string[]> Set = new("--set")
    {
        Description = "Extra configuration for started gateways (repeatable), e.g. --set Gateway:Policies:ranking:L1=00:00:00.",
        HelpName = "KEY=VALUE",
        CustomParser = result => [.. result.Tokens.Select(token => Check(result, token.Value, token.Value.IndexOf('=', StringComparison.Ordinal) > 0, $"--set '{token.Value}' is not KEY=VALUE."))],
    };

    public static readonly Option<string?> Postgres = new("--pg")
    {
        Description = "PostgreSQL to count origin queries in and to seed through (default $ConnectionStrings__Postgres, else 127.0.0.1:5479 db ranking).",
        HelpName = "CONNSTRING",
    };

    public static readonly Option<string?> Redis = new("--redis")
    {
        Description = "Redis of started gateways (default $ConnectionStrings__Redis, else 127.0.0.1:6479).",
        HelpName = "HOST:PORT",
    };

    public static readonly Option<string?> Database = Text("--database", "NAME",
        "Database of started gateways, created and seeded (COPY) on demand (default ranking_loadtest; flood, memory, redis-freeze, hit: "
        + "ranking_demo, the demo data's shape; compare-modes: ranking_modes; changes: ranking_changes, suffixed with the group count).",
        text => text.Length is > 0 and <= 63 && text.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_') && !char.IsAsciiDigit(text[0]),
        "use lower-case letters, digits and '_' (at most 63)");

    public static readonly Option<int?> Users = Int("--users", 1, 1_000_000, "Users per group when seeding (default 1000; compare-modes: 100 / 20 with --smoke; changes: 100).");

    public static readonly Option<bool> Pin = new("--pin")
    {
        Description = "Run the servers the runner starts (gateways, baseline servers) on CPU 0 and the load generator (the runner, re-run "
            + "under taskset) on CPU 1, so open-loop latency measures the server; Redis and PostgreSQL are left where they are; "
            + "warm-ups last 10 s instead of 3 s. Needs taskset (util-linux) and 2+ CPUs.",
    };

    public static readonly Option<int?> Groups = Int("--groups", 1, 10_000_000,
        "Groups: the Zipf range (steady, redis-outage: 10000) or the pool a stampede group is picked from (1000); flood, memory, "
        + "redis-freeze: the known groups g1..gN (1000); compare-modes: g1..gN, a database of its own per count (10000 / 200 with --smoke); changes: 10000, likewise.");

    public static readonly Option<string?> Group = Text("--group", "ID", "The stampede's group (default: a random one of --groups).",
        text => text.Length is > 0 and <= 64 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or ':' or '-') && char.IsAsciiLetterOrDigit(text[0]),
        "not a valid group id");

    public static readonly Option<int?> Clients = Int("--clients", 1, 100_000, "Stampede clients (default 1000).");

    public static readonly Option<double?> Rate = Number("--rate", "R", 1, 1_000_000,
        "Open-loop requests per second (steady: half the measured FRESH-hit peak; redis-outage, redis-freeze: 1000; compare-modes: 1000 / 100 with --smoke; changes: 200).");

    public static readonly Option<int?> Concurrency = Int("--concurrency", 1, 100_000,
        "Closed-loop clients instead of --rate; flood, memory: the flood's connections (default 64).");

    public static readonly Option<TimeSpan?> Duration = Time("--duration", TimeSpan.FromSeconds(1),
        "Length: steady, redis-outage 30s; redis-freeze, each flood 20s; hit: each open-loop phase at half the peak, 10s; compare-modes: the measured window (12 / 3 / 4 periods); changes: the steady writes per change source, 120s).");

    public static readonly Option<double?> Zipf = Number("--zipf", "S", 0, 10, "Zipf exponent (default 1.1).");

    public static readonly Option<int?> Limit = Int("--limit", 1, 100, "?limit= of every request (default 100).");

    public static readonly Option<TimeSpan?> OriginDelay = Time("--origin-delay", TimeSpan.Zero,
        "Started gateways: pg_sleep before every origin query (stampede-stale: 2s, else 0).");

    public static readonly Option<TimeSpan?> Fresh = Time("--fresh", TimeSpan.FromSeconds(1),
        "Started gateways: the fresh window (stampede-stale: 5s; flood, hit: 10m, so no refresh runs during it; else appsettings.json's).");

    public static readonly Option<TimeSpan?> OutageAt = Time("--outage-at", TimeSpan.Zero, "When Redis is stopped / frozen (default 5s).");

    public static readonly Option<TimeSpan?> OutageFor = Time("--outage-for", TimeSpan.FromSeconds(1),
        "How long Redis stays down (redis-outage: 10s) or frozen (redis-freeze: 4s).");

    public static readonly Option<bool> PrivateRedis = new("--private-redis")
    {
        Description = "Stop and start a redis-server of the runner's own instead of the project's (which scripts/services-up.sh restarts), so nothing else is disturbed.",
    };

    public static readonly Option<double?> ProbeRate = Number("--probe-rate", "R", 1, 100_000, "Known-group reads per second from the second client (default 200).");

    public static readonly Option<int?> Ids = Int("--ids", 1, 100_000_000, "Distinct group ids, the --groups known ones among them (default 1000000).");

    public static readonly Option<int?> Keys = Int("--keys", 1, 10_000_000, "hit: distinct groups read, g1..gN, every one cached first (default 1: g1 alone).");

    public static readonly Option<bool> SharedRedis = new("--shared-redis")
    {
        Description = "Use --redis (shared; other traffic pollutes the command counts) instead of a redis-server of the run's own.",
    };

    public static readonly Option<TimeSpan?> BaselineDuration = Time("--baseline-duration", TimeSpan.Zero,
        "Length of each baseline phase; 0 skips the baselines (default 5s; hit: each closed-loop phase, at least 1s).");

    public static readonly Option<int?> BaselineConcurrency = Int("--baseline-concurrency", 1, 10_000, "Closed-loop clients of the baseline phases (default 32).");

    public static readonly Option<int?> Rounds = Int("--rounds", 1, 20,
        "Closed-loop rounds over the targets, each measured once per round; the median round counts (default 3).");

    public static readonly Option<int?> Seed = Int("--seed", 0, int.MaxValue, "Random seed (default 1).");

    public static readonly Option<string?> Out = new("--out")
    {
        Description = "Where the Markdown report and the SVG chart go (default loadtests/out).",
        HelpName = "DIR",
    };

    public static readonly Option<string[]> Modes = new("--modes")
    {
        Description = $"Refresh modes, in order, comma-separated (default {string.Join(',', Arguments.RefreshModes)}).",
        HelpName = "LIST",
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = result =>
        {
            var modes = Items(result).Select(m => Arguments.RefreshModes.FirstOrDefault(known => known.Equals(m, StringComparison.OrdinalIgnoreCase)) ?? m).Distinct().ToArray();
            return modes.FirstOrDefault(m => !Arguments.RefreshModes.Contains(m)) is { } unknown
                ? Fail<string[]>(result, $"--modes: '{unknown}' is not one of {string.Join(", ", Arguments.RefreshModes)}.")
                : modes.Length == 0 ? Fail<string[]>(result, "--modes needs at least one mode.") : modes;
        },
    };

    public static readonly Option<string[]> Changes = new("--changes")
    {
        Description = $"changes: the change sources (Ranking:Refresh:Changes) to run: {string.Join(", ", Arguments.ChangeSources)} or both (default both, in that order).",
        HelpName = "SOURCE",
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            return text.Equals("both", StringComparison.OrdinalIgnoreCase)
                ? Arguments.ChangeSources
                : Arguments.ChangeSources.FirstOrDefault(s => s.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } source
                    ? [source]
                    : Fail<string[]>(result, $"--changes '{text}' is not one of {string.Join(", ", Arguments.ChangeSources)} or both.");
        },
    };

    public static readonly Option<TimeSpan?> Period = Time("--period", TimeSpan.FromSeconds(1),
        "Ranking:Refresh:Period, standing for the document's minute (5s / 2s with --smoke; changes: 60s, the real minute); the policy scales with it: Fresh = period, "
        + "FreshJitter = period/6, Stale = 10 periods, StaleIfError = 60 periods, L1 = min(2 s, period/2).");

    public static readonly Option<double?> WriteShare = new("--write-share")
    {
        Description = "Share of the groups the writer changes every second, 1% or 0.01 (1% / 5% with --smoke; changes: 1%, in ten commits a second).",
        HelpName = "S",
        CustomParser = result => ParseShare(result, result.Tokens[0].Value),
    };

    public static readonly Option<double?> WriteZipf = Number("--write-zipf", "S", 0, 10,
        "Writes follow the reads: groups picked Zipf with exponent S over the readers' numbering, so hot groups are written most (default 0: uniform, unrelated to reads).");

    public static readonly Option<TimeSpan?> LeadIn = Time("--lead-in", TimeSpan.Zero, "Reads and writes before the measured window (11 / 1 / 2 periods).");

    public static readonly Option<TimeSpan?> Idle = Time("--idle", TimeSpan.Zero, "Writes without reads, measured after one more period (3 / 2 / 2 periods).");

    public static readonly Option<bool> Smoke = new("--smoke") { Description = "Tiny, about 15 s per mode; exits 1 when a mode is broken." };

    public static readonly Option<bool> CostGrowth = new("--cost-growth") { Description = "Each mode briefly at each of --sizes groups; CompetingLocks also with --instances + 1." };

    public static readonly Option<bool> Elastic = new("--elastic")
    {
        Description = "The measured window in thirds: one instance joins after the first, the first instance is taken out of the load and killed after the second.",
    };

    public static readonly Option<int[]> Sizes = new("--sizes")
    {
        Description = "--cost-growth: group counts, comma-separated (default 1000,10000,100000).",
        HelpName = "LIST",
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = result =>
        {
            var texts = Items(result);
            var sizes = texts.Select(s => int.TryParse(s.Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 10_000_000 ? n : 0).ToArray();
            return Array.IndexOf(sizes, 0) is var bad and >= 0
                ? Fail<int[]>(result, $"--sizes: '{texts[bad]}' is not a whole number from 1 to 10,000,000.")
                : sizes.Length == 0 ? Fail<int[]>(result, "--sizes needs at least one group count.") : [.. sizes.Distinct().Order()];
        },
    };

    public static readonly Option<(int Instances, int Consumers)[]> Fleets = new("--fleets")
    {
        Description = "queue-drain: fleets, comma-separated INSTANCESxCONSUMERS (consumer loops per instance), default 1x1,1x2,1x4,2x1,3x1.",
        HelpName = "LIST",
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = result =>
        {
            var texts = Items(result);
            var fleets = texts.Select(t => t.Split('x') is [var i, var c]
                && int.TryParse(i, NumberStyles.None, CultureInfo.InvariantCulture, out var instances) && instances is >= 1 and <= 8
                && int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var consumers) && consumers is >= 1 and <= 64
                ? (instances, consumers) : (0, 0)).ToArray();
            return Array.IndexOf(fleets, (0, 0)) is var bad and >= 0
                ? Fail<(int, int)[]>(result, $"--fleets: '{texts[bad]}' is not INSTANCESxCONSUMERS (1 to 8 instances, 1 to 64 consumers), e.g. 2x4.")
                : fleets.Length == 0 ? Fail<(int, int)[]>(result, "--fleets needs at least one fleet.") : [.. fleets.Distinct()];
        },
    };

    private static Option<int?> Int(string name, int min, int max, string description) => new(name)
    {
        Description = description,
        HelpName = "N",
        CustomParser = result => int.TryParse(result.Tokens[0].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : Fail<int?>(result, $"{name} '{result.Tokens[0].Value}' is not a whole number from {min} to {max:N0}."),
    };

    private static Option<double?> Number(string name, string helpName, double min, double max, string description) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result => double.TryParse(result.Tokens[0].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : Fail<double?>(result, $"{name} '{result.Tokens[0].Value}' is not a number from {min} to {max:N0}."),
    };

    /// <summary>TIME: seconds, or a number with ms / s / m (500ms, 30s, 2m).</summary>
    private static Option<TimeSpan?> Time(string name, TimeSpan min, string description) => new(name)
    {
        Description = description,
        HelpName = "TIME",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            var (number, scale) = text switch
            {
                _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
                _ when text.EndsWith('s') => (text[..^1], 1.0),
                _ when text.EndsWith('m') => (text[..^1], 60.0),
                _ => (text, 1.0),
            };
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || value > 86_400)
            {
                return Fail<TimeSpan?>(result, $"{name} '{text}' is not a duration (seconds, or a number with ms / s / m).");
            }

            var time = TimeSpan.FromSeconds(value * scale);
            return time >= min ? time : Fail<TimeSpan?>(result, $"{name} must be at least {min.TotalSeconds:0.###}s.");
        },
    };

    private static Option<string?> Text(string name, string helpName, string description, Func<string, bool> isValid, string problem) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result => Check(result, result.Tokens[0].Value, isValid(result.Tokens[0].Value), $"{name} '{result.Tokens[0].Value}': {problem}."),
    };

    private static string[] Items(ArgumentResult result) =>
        result.Tokens[0].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    // "1%" or "0.01".
    private static double? ParseShare(ArgumentResult result, string text)
    {
        var percent = text.EndsWith('%');
        return double.TryParse(percent ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && (percent ? value / 100 : value) is > 0 and <= 1 and var share
            ? share
            : Fail<double?>(result, $"--write-share '{text}' is not a share of the groups above 0 and at most 1 (e.g. 1% or 0.01).");
    }

    private static Uri ParseUrl(ArgumentResult result, string text) =>
        Uri.TryCreate(text.TrimEnd('/'), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : Fail<Uri>(result, $"--url '{text}' is not an http(s) URL.")!;

    private static string Check(ArgumentResult result, string text, bool isValid, string problem) => isValid ? text : Fail<string>(result, problem)!;

    private static T? Fail<T>(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default;
    }
}
