using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>What Redis holds: compare-and-set ordering and unreadable entries.</summary>
[Trait("Category", "Cluster")]
public sealed class EntryStoreTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _prefix = RealServices.NewKeyPrefix();
    private ConnectionMultiplexer _redis = null!;
    private GatewayHost _a = null!;
    private GatewayHost _b = null!;

    public async Task InitializeAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(RealServices.Redis);
        _a = new GatewayHost(database, _prefix, _time, GatewayHost.Policy());
        _b = new GatewayHost(database, _prefix, _time, GatewayHost.Policy());
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task An_older_entry_never_replaces_a_newer_one()
    {
        var store = _a.Services.GetRequiredService<RedisEntryStore>();
        var now = _time.GetUtcNow();
        var newer = Entry("newer", now);
        var older = Entry("older", now - TimeSpan.FromSeconds(1));

        Assert.True(await store.SetAsync("cas", newer, TimeSpan.FromMinutes(1)));
        Assert.False(await store.SetAsync("cas", older, TimeSpan.FromMinutes(1)));
        Assert.False(await store.SetAsync("cas", newer with { Body = "same time"u8.ToArray() }, TimeSpan.FromMinutes(1)));

        var read = await store.GetAsync("cas");
        Assert.Equal("newer"u8.ToArray(), read.Entry!.Body);
        Assert.True(await store.SetAsync("cas", Entry("newest", now + TimeSpan.FromSeconds(1)), TimeSpan.FromMinutes(1)));
        Assert.Equal("newest"u8.ToArray(), (await store.GetAsync("cas")).Entry!.Body);
    }

    [Fact]
    public async Task A_slow_refresh_whose_lock_expired_cannot_overwrite_a_newer_refresh()
    {
        await database.SeedAsync("race", 5);
        var clientA = _a.CreateClient();
        var clientB = _b.CreateClient();
        var original = await clientA.GetAnswerAsync("/ranking/race");
        using var revalidationsA = new MetricCollector<long>(_a.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), CacheMetrics.MeterName, "gateway.cache.revalidations");

        // Instance A starts a refresh: its query reads the current data, then its answer is held (slow network).
        _time.Advance(TimeSpan.FromSeconds(61));
        _a.Faults.Close();
        Assert.Equal("STALE", (await clientA.GetAnswerAsync("/ranking/race")).CacheStatus);
        await Eventually.Until(() => _a.Faults.Waiting == 1, "A's refresh to have queried the origin");

        // The data changes, A's lock expires, and B refreshes with the newer data.
        await database.ExecuteAsync("UPDATE ranking_scores SET score = 1000 WHERE group_id = 'race' AND user_id = 'u5'");
        await _redis.GetDatabase().KeyDeleteAsync($"{_prefix}{{ranking:race}}:lock");
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("STALE", (await clientB.GetAnswerAsync("/ranking/race")).CacheStatus);
        var newer = await Eventually.Until(() => clientB.GetAnswerAsync("/ranking/race"), a => a.CacheStatus == "FRESH", "B's refresh");
        Assert.Equal("u5", newer.UserIds[0]);

        // A's old answer arrives last and is refused by the compare-and-set.
        _a.Faults.Open();
        await Eventually.Until(() => revalidationsA.GetMeasurementSnapshot().Count == 1, "A's refresh to finish");
        Assert.Equal("not-stored", revalidationsA.LastMeasurement!.Tags["outcome"]);
        var final = await Eventually.Until(() => clientA.GetAnswerAsync("/ranking/race"), a => a.CacheStatus == "FRESH", "A to serve the shared entry");
        Assert.Equal(newer.Body, final.Body);
        Assert.NotEqual(original.Body, final.Body);
    }

    [Fact]
    public async Task A_corrupt_entry_is_treated_as_a_miss()
    {
        await database.SeedAsync("corrupt", 3);
        await _redis.GetDatabase().HashSetAsync($"{_prefix}{{ranking:corrupt}}:entry", [new("g", 1), new("d", "not an entry")]);
        using var corrupt = new MetricCollector<long>(_a.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), CacheMetrics.MeterName, "gateway.cache.corrupt_entries");
        var client = _a.CreateClient();

        var answer = await client.GetAnswerAsync("/ranking/corrupt");

        Assert.Equal((HttpStatusCode.OK, "MISS"), (answer.Status, answer.CacheStatus));
        Assert.Equal(["u1", "u2", "u3"], answer.UserIds);
        Assert.NotEmpty(corrupt.GetMeasurementSnapshot()); // read before and after taking the lock
        Assert.Equal("FRESH", (await _b.CreateClient().GetAnswerAsync("/ranking/corrupt")).CacheStatus);
    }

    [Fact]
    public async Task An_entry_rewritten_by_one_instance_is_dropped_from_the_other_instances_L1()
    {
        var longL1 = new Dictionary<string, string?>(GatewayHost.Policy(fresh: TimeSpan.FromHours(1))) { ["Gateway:Policies:ranking:L1"] = "00:30:00" };
        await using var a = new GatewayHost(database, _prefix, _time, longL1);
        await using var b = new GatewayHost(database, _prefix, _time, longL1);
        await database.SeedAsync("shared", 2);
        var first = await a.CreateClient().GetAnswerAsync("/ranking/shared");
        var clientB = b.CreateClient();
        Assert.Equal(first.Body, (await clientB.GetAnswerAsync("/ranking/shared")).Body);

        // Instance A writes a newer entry; B holds the old one in L1 for 30 minutes unless told.
        var store = a.Services.GetRequiredService<RedisEntryStore>();
        var newer = Entry("{\"group\":\"shared\",\"entries\":[]}", _time.GetUtcNow() + TimeSpan.FromMilliseconds(1));
        Assert.True(await store.SetAsync("ranking:shared", newer, TimeSpan.FromMinutes(5)));

        var seen = await Eventually.Until(() => clientB.GetAnswerAsync("/ranking/shared"), x => x.Body != first.Body, "B to drop its L1 copy");
        Assert.Equal(System.Text.Encoding.UTF8.GetString(newer.Body), seen.Body);
    }

    private static CacheEntry Entry(string body, DateTimeOffset generatedAt) => new(
        200, "text/plain", System.Text.Encoding.UTF8.GetBytes(body), "\"e\"", [], generatedAt,
        generatedAt + TimeSpan.FromMinutes(1), generatedAt + TimeSpan.FromMinutes(2), generatedAt + TimeSpan.FromMinutes(3));
}
