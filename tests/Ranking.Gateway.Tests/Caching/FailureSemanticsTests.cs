using System.Diagnostics.Metrics;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.FreshnessPolicies;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>How the engine fails: each caller its own error, never past stale-if-error, locks not held while waiting.</summary>
public sealed class FailureSemanticsTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _prefix = RealServices.NewKeyPrefix();
    private readonly List<GatewayHost> _hosts = [];
    private RedisProbe _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisProbe.ConnectAsync();

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            host.Faults.Open();
            await host.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Every_caller_waiting_on_a_failed_fetch_gets_the_failure_and_none_throws()
    {
        var (host, cache, policy) = Engine();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        var origin = new DelegateOrigin(async () =>
        {
            Interlocked.Increment(ref started);
            await release.Task;
            throw new InvalidOperationException("origin down");
        });
        var request = new CacheRequest("test:shared-failure", "ranking", policy, origin, "");

        var callers = Enumerable.Range(0, 8).Select(_ => cache.GetAsync(request, CancellationToken.None).AsTask()).ToArray();
        await Eventually.Until(() => Volatile.Read(ref started) == 1, "the one fetch to start");
        release.SetResult();
        var lookups = await Task.WhenAll(callers);

        Assert.All(lookups, l => Assert.Equal(OriginFailureKind.Error, l.Failure?.Kind));
        Assert.All(lookups, l => Assert.IsType<InvalidOperationException>(l.Failure!.Cause));
        Assert.Equal(1, started);
    }

    [Fact]
    public async Task An_entry_that_keeps_going_out_of_date_as_it_loads_is_never_served_past_stale_if_error()
    {
        var (host, cache, policy) = Engine();
        var now = _time.GetUtcNow();
        var expired = new CacheEntry(200, "text/plain", [1], "\"e\"", [], now.AddHours(-3), now.AddHours(-3), now.AddHours(-2), now.AddHours(-1));
        await host.Services.GetRequiredService<RedisEntryStore>().SetAsync("test:flaky", expired, TimeSpan.FromMinutes(1));

        // A fault: every entry looks usable when it is loaded and out of date a moment later, as if the clock raced.
        var origin = new DelegateOrigin(() => throw new InvalidOperationException("origin down"));
        var request = new CacheRequest("test:flaky", "ranking", policy, origin, "", new Flaky());

        var lookup = await cache.GetAsync(request, CancellationToken.None);

        Assert.NotNull(lookup.Failure);
    }

    [Fact]
    public async Task A_failed_background_refresh_releases_the_lock_while_it_waits_to_retry()
    {
        await database.SeedAsync("retry", 3);
        var settings = GatewayHost.Policy();
        settings["Gateway:Policies:ranking:RetryDelay"] = "00:01:00";
        var (a, clientA) = Start(settings);
        var (b, clientB) = Start(settings);
        Assert.Equal("MISS", (await clientA.GetAnswerAsync("/ranking/retry")).CacheStatus);
        _time.Advance(TimeSpan.FromSeconds(61));

        a.Faults.Fail = true;
        Assert.Equal("STALE", (await clientA.GetAnswerAsync("/ranking/retry")).CacheStatus);
        await Eventually.Until(() => a.Faults.Calls == 2, "instance A's refresh to fail");

        // A is in its retry delay for a minute, but the lock is free: B refreshes at once.
        Assert.Equal(1, a.Services.GetRequiredService<SwrCache>().ActiveRevalidations);
        Assert.Equal("STALE", (await clientB.GetAnswerAsync("/ranking/retry")).CacheStatus);
        await Eventually.Until(() => clientB.GetAnswerAsync("/ranking/retry"), r => r.CacheStatus == "FRESH", "B's refresh");
    }

    [Fact]
    public async Task A_dropped_copy_that_cannot_be_dropped_is_logged()
    {
        await database.SeedAsync("drop", 3);
        var faulty = new Action<IServiceCollection>(services =>
        {
            services.AddFakeLogging();
            var real = services.Last(d => d.ServiceType == typeof(IMemoryCache));
            services.Remove(real);
            services.AddSingleton<IMemoryCache>(sp => new FailingRemoves((IMemoryCache)ActivatorUtilities.CreateInstance(sp, real.ImplementationType!)));
        });
        var a = new GatewayHost(database, _prefix, _time, GatewayHost.Policy(), services: faulty);
        _hosts.Add(a);
        var clientA = a.CreateClient();
        var (_, clientB) = Start(GatewayHost.Policy());
        Assert.Equal("MISS", (await clientA.GetAnswerAsync("/ranking/drop")).CacheStatus);
        _time.Advance(TimeSpan.FromSeconds(61));

        // B refreshes the entry; A hears of it and cannot drop its copy.
        Assert.Equal("STALE", (await clientB.GetAnswerAsync("/ranking/drop")).CacheStatus);

        var logs = a.Services.GetFakeLogCollector();
        await Eventually.Until(
            () => logs.GetSnapshot().Any(r => r.Level == LogLevel.Warning && r.Message.Contains("Could not drop an in-process copy", StringComparison.Ordinal)),
            "the failed drop logged");
    }

    [Fact]
    public async Task An_instance_whose_subscription_was_cut_drops_every_copy_it_kept()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await database.SeedAsync("cut", 3);
        var settings = GatewayHost.Policy();
        settings["Gateway:Policies:ranking:L1"] = "00:00:50";
        var host = new GatewayHost(database, _prefix, _time, settings, redis.ConnectionString);
        _hosts.Add(host);
        var client = host.CreateClient();
        Assert.Equal("MISS", (await client.GetAnswerAsync("/ranking/cut")).CacheStatus);

        // Redis loses the entry without announcing it: the copy in memory, kept while fresh, still answers.
        await using var probe = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        await probe.GetServers()[0].FlushAllDatabasesAsync();
        Assert.Equal("FRESH", (await client.GetAnswerAsync("/ranking/cut")).CacheStatus);

        // The instance's subscription is cut: announcements may have been missed, so every copy goes.
        await probe.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        await Eventually.Until(() => client.GetAnswerAsync("/ranking/cut"), r => r.CacheStatus == "MISS", "the copy dropped", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Stopping_the_gateway_during_a_fetch_is_not_counted_as_an_origin_timeout()
    {
        await database.SeedAsync("stopping", 3);
        var (host, client) = Start(GatewayHost.Policy());
        using var queries = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), CacheMetrics.MeterName, "gateway.origin.queries");
        host.Faults.Close();
        var reading = client.GetAnswerAsync("/ranking/stopping");
        await Eventually.Until(() => host.Faults.Waiting == 1, "the fetch held at the origin");

        host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        await Catch(() => reading);

        await Eventually.Until(() => queries.GetMeasurementSnapshot().Count == 1, "the fetch's outcome");
        Assert.Equal("cancelled", queries.GetMeasurementSnapshot().Single().Tags["outcome"]);
    }

    private (GatewayHost Host, SwrCache Cache, CachePolicy Policy) Engine()
    {
        var (host, _) = Start(GatewayHost.Policy());
        var policy = host.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.Policies["ranking"];
        return (host, host.Services.GetRequiredService<SwrCache>(), policy);
    }

    private (GatewayHost Host, HttpClient Client) Start(Dictionary<string, string?> settings)
    {
        var host = new GatewayHost(database, _prefix, _time, settings);
        _hosts.Add(host);
        return (host, host.CreateClient());
    }

    private static async Task<Exception?> Catch(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    /// <summary>Usable on every other look: at load, and out of date when the read classifies it.</summary>
    private sealed class Flaky : IFreshnessPolicy
    {
        private int _looks;

        public Freshness Judge(CacheEntry entry, DateTimeOffset now) =>
            Interlocked.Increment(ref _looks) % 2 == 1 ? Freshness.Fresh : Freshness.Unusable;
    }

    /// <summary>The real L1, except that dropping an entry fails: an injected fault.</summary>
    private sealed class FailingRemoves(IMemoryCache inner) : IMemoryCache
    {
        public bool TryGetValue(object key, out object? value) => inner.TryGetValue(key, out value);

        public ICacheEntry CreateEntry(object key) => inner.CreateEntry(key);

        public void Remove(object key) => throw new InvalidOperationException("Injected L1 failure.");

        public void Dispose() => inner.Dispose();
    }

    /// <summary>An origin whose every fetch runs <paramref name="fetch"/>.</summary>
    private sealed class DelegateOrigin(Func<Task<OriginResult>> fetch) : IOrigin
    {
        public Task<OriginResult> FetchAsync(OriginRequest request, CancellationToken cancellationToken) => fetch();
    }
}
