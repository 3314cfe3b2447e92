using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Ranking.Gateway.LoadTests.Cli;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Seeding;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>
/// Everything a run needs, set up and torn down in one place: the seeded database, the gateway instances
/// (started here on free ports, or given with --url), the baseline server, the load client and the origin counter.
/// </summary>
internal sealed class TestBed : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly NpgsqlDataSource _postgres;
    private string? _redisKeyPattern;
    private string[] _scenarioSettings = [];

    private TestBed(Arguments args, string runId, NpgsqlDataSource postgres)
    {
        Args = args;
        RunId = runId;
        _postgres = postgres;
        OutDirectory = args.OutDir ?? RepoPaths.DefaultOut;
        LogDirectory = Path.Combine(OutDirectory, "logs", $"{args.Scenario}-{runId}");
    }

    public Arguments Args { get; }

    public string RunId { get; }

    public string OutDirectory { get; }

    public string LogDirectory { get; }

    public LoadClient Client { get; } = new();

    /// <summary>The scenario's instances; load is spread over them round-robin.</summary>
    public IReadOnlyList<Uri> Gateways { get; private set; } = [];

    /// <summary>The instance the FRESH-hit baseline is measured on.</summary>
    public Uri HitGateway { get; private set; } = null!;

    /// <summary>The database the gateways read, as a connection string (for the origin baseline).</summary>
    public string GatewayDatabase { get; private set; } = "";

    public OriginCounter Origin { get; private set; } = null!;

    /// <summary>The instances this runner started (empty with --url), for their CPU time.</summary>
    public IReadOnlyList<GatewayProcess> Started { get; private set; } = [];

    /// <summary>The runner's own connection (to --pg's database), for reading statistics of the gateways' database.</summary>
    public NpgsqlDataSource Postgres => _postgres;

    /// <summary>The configuration overrides the instances were started with, <c>Key=Value</c> (empty with --url).</summary>
    public IReadOnlyList<string> InstanceSettings { get; private set; } = [];

    /// <summary>The Redis the instances use, for the outage scenario.</summary>
    public IRedisControl Redis { get; private set; } = null!;

    /// <summary>What was set up, for the report.</summary>
    public List<string> Setup { get; } = [];

    /// <summary>A new run id: when it started, and a random tail so two runs started in the same second differ.</summary>
    public static string NewRunId() => $"{DateTime.Now:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x1000, 0xFFFF):x4}";

    /// <param name="runId">The run's id (key prefix, log folder); a new one when null.</param>
    public static async Task<TestBed> StartAsync(Arguments args, TestBedOptions options, CancellationToken cancellationToken, string? runId = null)
    {
        runId ??= NewRunId();
        var postgres = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(args.Postgres) { MaxPoolSize = 4 }.ConnectionString);
        var bed = new TestBed(args, runId, postgres);
        try
        {
            await CheckPostgresAsync(postgres, cancellationToken);
            if (args.StartsInstances)
            {
                await bed.StartInstancesAsync(options, cancellationToken);
            }
            else
            {
                bed.UseRunningInstances();
            }

            return bed;
        }
        catch
        {
            await bed.DisposeAsync();
            throw;
        }
    }

    public Uri RankingUri(Uri gateway, string group) => new(gateway, $"/ranking/{group}?limit={Args.Limit}");

    /// <summary>Starts the in-memory / origin baseline server serving <paramref name="body"/> with <paramref name="headers"/>.</summary>
    public async Task<Uri> StartBaselineServerAsync(byte[] body, IEnumerable<string> headers)
    {
        var connection = new NpgsqlConnectionStringBuilder(GatewayDatabase) { MaxPoolSize = 50 }.ConnectionString;
        var (process, url) = await BaselineProcess.StartAsync(body, headers, connection, LogDirectory, Client.Http);
        _owned.Add(process);
        return url;
    }

    /// <summary>Starts nginx <c>proxy_cache</c> in front of <paramref name="upstream"/>; stopped with the rest.</summary>
    public async Task<NginxCache> StartNginxAsync(string nginx, Uri upstream)
    {
        var cache = await NginxCache.StartAsync(nginx, upstream, LogDirectory, Client.Http);
        _owned.Add(cache);
        return cache;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        await DeleteRunKeysAsync();
        Client.Dispose();
        await _postgres.DisposeAsync();
    }

    /// <summary>Stops the run with a clear message (a <see cref="SetupException"/>) when PostgreSQL does not answer.</summary>
    public static async Task CheckPostgresAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var postgres = NpgsqlDataSource.Create(connectionString);
        await CheckPostgresAsync(postgres, cancellationToken);
    }

    private static async Task CheckPostgresAsync(NpgsqlDataSource postgres, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = postgres.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new SetupException($"PostgreSQL is not answering ({ex.Message}); start it with `bash scripts/services-up.sh`, or pass --pg.");
        }
    }

    private async Task StartInstancesAsync(TestBedOptions options, CancellationToken cancellationToken)
    {
        var seeded = await Seeder.EnsureAsync(Args.Postgres, Args.Database, options.Groups, Args.Users, cancellationToken);
        Setup.Add(seeded);
        GatewayDatabase = new NpgsqlConnectionStringBuilder(Seeder.ConnectionString(Args.Postgres, Args.Database)) { MaxPoolSize = 50 }.ConnectionString;

        if (options.PrivateRedis)
        {
            var redis = await PrivateRedis.StartNewAsync(LogDirectory);
            _owned.Add(redis);
            Redis = redis;
        }
        else
        {
            Redis = new ProjectRedis(Args.Redis);
            var port = int.Parse(Args.Redis[(Args.Redis.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
            if (!FreePort.Accepts(port))
            {
                throw new SetupException($"Redis at {Args.Redis} is not answering; start it with `bash scripts/services-up.sh`, or pass --redis.");
            }

            _redisKeyPattern = $"lt-{RunId}*";
        }

        var dll = Args.GatewayDll ?? RepoPaths.GatewayDll;
        _scenarioSettings = [.. Settings(options, $"lt-{RunId}:"), .. options.Settings ?? []];
        var scenario = _scenarioSettings.Concat(Args.Settings).ToArray();
        InstanceSettings = scenario;
        var clock = Stopwatch.StartNew();
        var starts = Enumerable.Range(1, Args.Instances)
            .Select(i => GatewayProcess.StartAsync($"gateway-{i}", dll, scenario, Path.Combine(LogDirectory, $"gateway-{i}.log"), Client.Http))
            .ToList();
        if (options.HitGateway)
        {
            // Default policy and a key prefix of its own, so the baseline neither waits on a slow origin nor
            // pre-fills the scenario's cache.
            var hit = Settings(options with { OriginDelay = TimeSpan.Zero, Fresh = null }, $"lt-{RunId}-hit:").Concat(Args.Settings).ToArray();
            starts.Add(GatewayProcess.StartAsync("gateway-hit", dll, hit, Path.Combine(LogDirectory, "gateway-hit.log"), Client.Http));
        }

        var started = new List<GatewayProcess>();
        try
        {
            foreach (var start in starts)
            {
                started.Add(await start);
            }
        }
        finally
        {
            // Own whatever did start, so a failure of one instance still stops the others.
            _owned.AddRange(started);
        }

        Started = started.Take(Args.Instances).ToArray();
        Gateways = Started.Select(g => g.Url).ToArray();
        HitGateway = options.HitGateway ? started[^1].Url : Gateways[0];
        Origin = new OriginCounter(_postgres, Args.Database, Client.Http, started.Select(g => g.Url).ToArray());
        Setup.Add($"{Args.Instances} gateway instance(s) started from {Path.GetRelativePath(RepoPaths.Root, dll)} in {clock.Elapsed.TotalSeconds:0.0} s"
            + (options.HitGateway ? ", plus one default-configured instance for the FRESH-hit baseline" : ""));
        Setup.Add($"gateway settings: {string.Join(", ", scenario.Where(s => !s.StartsWith("ConnectionStrings", StringComparison.Ordinal)))}");
        Setup.Add($"Redis: {Redis.Description}; logs: {Path.GetRelativePath(RepoPaths.Root, LogDirectory)}");
        if (CpuPinning.IsPinned)
        {
            var allowed = started.Select(g => $"{g.Name} {CpuPinning.AllowedCpus(g.Id)}").Prepend($"runner {CpuPinning.AllowedCpus(Environment.ProcessId)}");
            Setup.Add($"--pin: gateways and the baseline server on CPU {CpuPinning.ServerCpu}, the load generator on CPU {CpuPinning.GeneratorCpu}; "
                + $"Redis and PostgreSQL unpinned (CPUs {CpuPinning.UnpinnedCpus}). Allowed CPUs as started: {string.Join(", ", allowed)}.");
        }
    }

    /// <summary>
    /// Starts one more instance beside the scenario's, configured as they are plus <paramref name="settings"/> (same
    /// database, Redis and key prefix; --set still wins), and stops it with the rest. Not one of <see cref="Gateways"/>.
    /// </summary>
    public async Task<GatewayProcess> StartVariantAsync(string name, IReadOnlyList<string> settings)
    {
        var dll = Args.GatewayDll ?? RepoPaths.GatewayDll;
        var gateway = await GatewayProcess.StartAsync(
            name, dll, [.. _scenarioSettings, .. settings, .. Args.Settings], Path.Combine(LogDirectory, $"{name}.log"), Client.Http);
        _owned.Add(gateway);
        return gateway;
    }

    private void UseRunningInstances()
    {
        Gateways = Args.Urls;
        HitGateway = Args.Urls[0];
        GatewayDatabase = Args.Postgres;
        Redis = new ProjectRedis(Args.Redis);
        var database = new NpgsqlConnectionStringBuilder(Args.Postgres).Database ?? "ranking";
        Origin = new OriginCounter(_postgres, database, Client.Http, Args.Urls);
        Setup.Add($"targets: {string.Join(", ", Args.Urls)} (already running; origin queries counted in database {database})");
    }

    private List<string> Settings(TestBedOptions options, string keyPrefix)
    {
        var settings = new List<string>
        {
            $"Gateway:KeyPrefix={keyPrefix}",
            $"ConnectionStrings:Postgres={GatewayDatabase}",
            $"ConnectionStrings:Redis={Redis.ConnectionString}",
            "Logging:LogLevel:Default=Warning",
        };
        if (options.OriginDelay > TimeSpan.Zero)
        {
            var seconds = options.OriginDelay.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
            // A one-time filter: PostgreSQL sleeps before it scans, so a group with no rows waits as long as one with rows
            // (joined as a subquery in FROM, the sleep was skipped when the scan found nothing).
            settings.Add($"Ranking:TopNSql=SELECT user_id, score FROM ranking_scores WHERE (SELECT pg_sleep({seconds})::text) = '' AND group_id = @group ORDER BY score DESC, user_id LIMIT @limit");
        }

        if (options.Fresh is { } fresh)
        {
            settings.Add($"Gateway:Policies:ranking:Fresh={fresh:c}");
            settings.Add("Gateway:Policies:ranking:FreshJitter=00:00:00");
        }

        return settings;
    }

    // Entries outlive the run by their stale-if-error window; a large run's keys would hold Redis memory for an hour.
    private async Task DeleteRunKeysAsync()
    {
        if (_redisKeyPattern is null)
        {
            return;
        }

        var separator = Args.Redis.LastIndexOf(':');
        var (host, port) = (Args.Redis[..separator], Args.Redis[(separator + 1)..]);
        var script = $"redis-cli -h {host} -p {port} --scan --pattern '{_redisKeyPattern}' | xargs -r -n 1000 redis-cli -h {host} -p {port} unlink >/dev/null";
        try
        {
            using var process = Process.Start(new ProcessStartInfo("bash", ["-c", script]) { UseShellExecute = false });
            await (process?.WaitForExitAsync() ?? Task.CompletedTask);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Best effort: the keys expire on their own.
        }
    }
}
