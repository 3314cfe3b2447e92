using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Refresh.CompetingLocks;
using Ranking.Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Ranking.Gateway.Tests.Refresh;

/// <summary>Architecture 1: three instances walk all groups every period and compete for per-group locks.</summary>
[Trait("Category", "Cluster")]
public sealed class CompetingLocksTests : IAsyncLifetime
{
    private const int Groups = 30;
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    private RefreshFleet _fleet = null!;
    private (GatewayHost Host, HttpClient Client)[] _instances = null!;

    public async Task InitializeAsync()
    {
        _fleet = await RefreshFleet.CreateAsync(Period);
        for (var i = 1; i <= Groups; i++)
        {
            await _fleet.Database.SeedAsync($"w{i}", 5);
        }

        // Each instance walks the current period as soon as it starts.
        _instances = [.. Enumerable.Range(0, 3).Select(_ => _fleet.Start(_fleet.Settings("CompetingLocks", new Dictionary<string, string?> { ["Ranking:Refresh:PageSize"] = "7" })))];
        await WalksDoneAsync(1);
    }

    public async Task DisposeAsync() => await _fleet.DisposeAsync();

    [Fact]
    public async Task Each_group_is_recomputed_once_per_period_across_three_instances()
    {
        Assert.Equal(Groups, await _fleet.Database.OriginQueriesAsync());

        _fleet.Time.Advance(Period * 1.5);
        await WalksDoneAsync(2);
        Assert.Equal(2 * Groups, await _fleet.Database.OriginQueriesAsync());

        _fleet.Time.Advance(Period);
        await WalksDoneAsync(3);
        Assert.Equal(3 * Groups, await _fleet.Database.OriginQueriesAsync());
    }

    [Fact]
    public async Task A_walk_later_in_the_same_period_recomputes_nothing_and_every_instance_tries_every_lock()
    {
        var collectors = _instances.Select(i => new MetricCollector<long>(
            i.Host.Services.GetRequiredService<IMeterFactory>(), CacheMetrics.MeterName, "gateway.refresh.lock_attempts")).ToArray();
        var period = _fleet.Time.GetUtcNow().ToUnixTimeMilliseconds() / (long)Period.TotalMilliseconds;

        // A slow instance arriving after the winners, in the same period: every lock is taken, nothing is recomputed.
        await Task.WhenAll(_instances.Select(i => _fleet.Service<GroupWalker>(i.Host).WalkAsync(period, CancellationToken.None)));

        Assert.Equal(Groups, await _fleet.Database.OriginQueriesAsync());
        foreach (var collector in collectors)
        {
            Assert.Equal(Groups, collector.GetMeasurementSnapshot().Where(m => (string?)m.Tags["outcome"] == "busy").Sum(m => m.Value));
            Assert.Equal(0, collector.GetMeasurementSnapshot().Where(m => (string?)m.Tags["outcome"] == "acquired").Sum(m => m.Value));
            collector.Dispose();
        }
    }

    [Fact]
    public async Task Readers_are_answered_fresh_from_the_walked_cache_without_querying()
    {
        var answers = await Task.WhenAll(Enumerable.Range(1, Groups).Select(i => _instances[i % 3].Client.GetAnswerAsync($"/ranking/w{i}")));

        Assert.All(answers, a => Assert.Equal("FRESH", a.CacheStatus));
        Assert.Equal(Groups, await _fleet.Database.OriginQueriesAsync());

        // Past the policy's own fresh window (60 s; lazily it would be STALE now) but within two periods, whether or
        // not this period's walk has reached it yet, the walked entry is fresh.
        _fleet.Time.Advance(Period * 1.1);
        var later = await _instances[0].Client.GetAnswerAsync("/ranking/w1");
        Assert.Equal("FRESH", later.CacheStatus);
    }

    [Fact]
    public async Task Each_period_leaves_one_lock_per_group_held_by_whoever_won_it()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RealServices.Redis);
        var locks = await RedisProbe.ScanAsync(redis, _fleet.Prefix + "*:walk:*");

        Assert.Equal(Groups, locks.Length);
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync(locks[0]);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1), Period);
    }

    private Task WalksDoneAsync(int walks) =>
        Eventually.Until(() => _instances.All(i => _fleet.Service<GroupWalker>(i.Host).Walks >= walks), $"{walks} walk(s) on every instance");
}
