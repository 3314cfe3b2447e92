using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>A miss that loses the lock waits for the winner's entry, but only for MissWait.</summary>
[Trait("Category", "Cluster")]
public sealed class MissWaitTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _prefix = RealServices.NewKeyPrefix();
    private GatewayHost _winner = null!;
    private GatewayHost _waiter = null!;
    private RedisProbe _redis = null!;

    public async Task InitializeAsync()
    {
        _winner = new GatewayHost(database, _prefix, _time, GatewayHost.Policy());
        _waiter = new GatewayHost(database, _prefix, _time, GatewayHost.Policy(missWait: TimeSpan.FromMilliseconds(300)));
        _redis = await RedisProbe.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        _winner.Faults.Open();
        await _winner.DisposeAsync();
        await _waiter.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Past_the_miss_wait_the_loser_fetches_for_itself_without_storing()
    {
        await database.SeedAsync("slow", 3);
        var before = await database.OriginQueriesAsync();

        // The winner takes the lock, queries, and is held before it can store.
        _winner.Faults.Close();
        var winning = _winner.CreateClient().GetAnswerAsync("/ranking/slow");
        await Eventually.Until(() => _winner.Faults.Waiting == 1, "the winner to hold the lock with its answer pending");

        var waited = await _waiter.CreateClient().GetAnswerAsync("/ranking/slow");

        Assert.Equal((HttpStatusCode.OK, "MISS"), (waited.Status, waited.CacheStatus));
        Assert.Equal("Ranking.Gateway; fwd=miss", waited.Header("Cache-Status"));
        Assert.Equal(["u1", "u2", "u3"], waited.UserIds);
        Assert.Equal(1, _waiter.Faults.Calls);
        Assert.Equal(before + 2, await database.OriginQueriesAsync());
        Assert.Empty(await _redis.KeysAsync($"{_prefix}{{ranking:slow}}:entry"));

        // The winner's entry is the one stored.
        _winner.Faults.Open();
        Assert.Equal("MISS", (await winning).CacheStatus);
        Assert.Single(await _redis.KeysAsync($"{_prefix}{{ranking:slow}}:entry"));
    }

    [Fact]
    public async Task Within_the_miss_wait_the_loser_gets_the_winners_entry()
    {
        await database.SeedAsync("patient", 3);
        var before = await database.OriginQueriesAsync();
        _winner.Faults.Close();
        var winning = _winner.CreateClient().GetAnswerAsync("/ranking/patient");
        await Eventually.Until(() => _winner.Faults.Waiting == 1, "the winner to hold the lock with its answer pending");

        using var locks = new MetricCollector<long>(_waiter.Services.GetRequiredService<IMeterFactory>(), CacheMetrics.MeterName, "gateway.cache.lock_attempts");
        var waiting = _waiter.CreateClient().GetAnswerAsync("/ranking/patient");
        await Eventually.Until(() => locks.LastMeasurement?.Tags["outcome"] as string == "busy", "the waiter to find the lock taken");
        _winner.Faults.Open();
        var waited = await waiting;

        Assert.Equal((HttpStatusCode.OK, "MISS"), (waited.Status, waited.CacheStatus));
        Assert.Equal((await winning).Body, waited.Body);
        Assert.Equal(before + 1, await database.OriginQueriesAsync());
        Assert.Equal(0, _waiter.Faults.Calls);
    }
}
