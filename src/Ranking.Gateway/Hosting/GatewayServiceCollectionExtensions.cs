using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Ranking.Gateway.Admin;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Limits;
using Ranking.Gateway.Proxy;
using Ranking.Gateway.Ranking;
using Ranking.Gateway.Refresh;
using StackExchange.Redis;

namespace Ranking.Gateway.Hosting;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>
    /// Registers the SWR cache, its Redis and PostgreSQL clients, the ranking origin, the YARP proxy
    /// (routes from the <c>ReverseProxy</c> section), health and metrics.
    /// </summary>
    public static IServiceCollection AddRankingGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddProblemDetails();

        // Header values pass through as the bytes they came as: HttpClient reads an upstream's non-ASCII header bytes
        // (obs-text, RFC 9110 §5.5) as Latin-1, and Kestrel writes them back as Latin-1 instead of failing the answer.
        services.Configure<KestrelServerOptions>(kestrel =>
        {
            kestrel.RequestHeaderEncodingSelector = static _ => Encoding.Latin1;
            kestrel.ResponseHeaderEncodingSelector = static _ => Encoding.Latin1;
        });

        services.AddOptions<GatewayOptions>()
            .Configure(options => GatewayOptionsBinding.Bind(configuration.GetSection(GatewayOptions.Section), options))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddOptions<RankingOptions>().Bind(configuration.GetSection(RankingOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RankingOptions>, RankingOptionsValidator>();
        services.AddSingleton<IValidateOptions<RankingOptions>, RankingOptionsQueryValidator>();

        services.TryAddSingleton<IConnectionMultiplexer>(sp => ConnectRedis(
            RequiredConnectionString(configuration, "Redis"), sp.GetRequiredService<IOptions<GatewayOptions>>().Value));
        services.TryAddSingleton(_ => NpgsqlDataSource.Create(RequiredConnectionString(configuration, "Postgres")));

        // The L1 is HybridCache's local layer (no distributed layer: Redis is the engine's own). HybridCache counts each
        // item at its serialized size (L1CopySerializer: the entry's envelope), so the memory cache's size limit bounds
        // L1's memory. Keys and bodies may be as long as routes and MaxBodyBytes allow, never silently uncached.
        // Expired entries leave only when the cache scans for them (once a minute by default): a flood of ids read once
        // would keep a minute of them. Scanning every few seconds keeps L1 near what its lifetimes say.
        services.AddHybridCache(hybrid =>
            {
                hybrid.MaximumKeyLength = int.MaxValue;
                hybrid.MaximumPayloadBytes = int.MaxValue;
            })
            .AddSerializer<L1Copy, L1CopySerializer>();
        services.AddOptions<MemoryCacheOptions>().Configure<IOptions<GatewayOptions>>((memory, gateway) =>
        {
            memory.SizeLimit = gateway.Value.L1SizeLimit;
            memory.ExpirationScanFrequency = TimeSpan.FromSeconds(5);
        });
        services.TryAddSingleton<CacheMetrics>();
        services.TryAddSingleton<RedisAccess>();
        services.TryAddSingleton<EntryChanges>();
        services.TryAddSingleton<FillSignals>();
        services.TryAddSingleton<RedisEntryStore>();
        services.TryAddSingleton<RefreshLocks>();
        services.TryAddSingleton<LocalCache>();
        services.TryAddSingleton<OriginHealth>();
        services.TryAddSingleton<OriginCaller>();
        services.TryAddSingleton<MissCoordinator>();
        services.TryAddSingleton<PurgeRefreshes>();
        services.TryAddSingleton<Revalidator>();
        services.TryAddSingleton<SwrCache>();
        services.AddHostedService<EntryChangeSubscriber>();

        services.TryAddSingleton<IRankingOrigin>(sp =>
            sp.GetRequiredService<IOptions<RankingOptions>>().Value.Origin == RankingOriginKind.Upstream
                ? ActivatorUtilities.CreateInstance<UpstreamRankingOrigin>(sp)
                : ActivatorUtilities.CreateInstance<PostgresRankingOrigin>(sp));
        services.TryAddSingleton<RankingReader>();
        services.AddRefreshModes();
        services.TryAddSingleton<KnownGroups>();
        services.AddHostedService(sp => sp.GetRequiredService<KnownGroups>());
        services.AddClientLimits(configuration);

        services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection("ReverseProxy"))
            .AddConfigFilter<CachePolicyConfigFilter>();
        services.TryAddSingleton<FillForwarder>();
        services.TryAddSingleton<RouteOrigins>();
        services.TryAddSingleton<CachePolicies>();
        services.AddAdmin(configuration);

        services.AddHealthChecks()
            .AddCheck<RedisHealthCheck>("redis", tags: ["ready"])
            .AddCheck<PostgresHealthCheck>("postgres", tags: ["ready"]);
        var telemetry = services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(CacheMetrics.MeterName)
            // .NET's own: the garbage collector's pauses decide the FRESH hit's tail (dotnet_gc_pause_time_seconds_total).
            .AddMeter("System.Runtime")
            .AddPrometheusExporter());
        if (GatewayTracing.ExportsByEnvironment(configuration))
        {
            // Only with an exporter: a tracer provider listens to the sources, and a listened-to source makes spans.
            telemetry.WithTracing(tracing => tracing.AddGatewaySources().AddOtlpExporter());
        }

        return services;
    }

    private static string RequiredConnectionString(IConfiguration configuration, string name) =>
        configuration.GetConnectionString(name) is { Length: > 0 } value
            ? value
            : throw new OptionsValidationException($"ConnectionStrings:{name}", typeof(string), [$"ConnectionStrings:{name} is required."]);

    // Fail fast instead of queueing commands while Redis is away: the read path then bypasses Redis.
    private static ConnectionMultiplexer ConnectRedis(string connectionString, GatewayOptions options)
    {
        var config = ConfigurationOptions.Parse(connectionString);
        config.AbortOnConnectFail = false;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        // Start-up waits at most this long for a Redis that is down; the gateway then starts in BYPASS.
        config.ConnectTimeout = Math.Max(1000, (int)options.RedisTimeout.TotalMilliseconds * 2);
        config.SyncTimeout = (int)options.RedisTimeout.TotalMilliseconds;
        config.AsyncTimeout = (int)options.RedisTimeout.TotalMilliseconds;

        // The client looks for timed-out commands on each heartbeat (1 s by default): against a frozen Redis a command
        // then fails up to RedisTimeout + 1 s after it was sent. A heartbeat a quarter of RedisTimeout keeps that close
        // to RedisTimeout, so the circuit breaker opens in time.
        config.HeartbeatInterval = TimeSpan.FromMilliseconds(Math.Clamp(options.RedisTimeout.TotalMilliseconds / 4, 50, 1000));
        return ConnectionMultiplexer.Connect(config);
    }
}
