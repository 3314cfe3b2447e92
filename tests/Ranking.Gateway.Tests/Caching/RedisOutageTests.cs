using System.Net;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

public sealed class RedisOutageTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly RedisServer _redis = new();
    private GatewayHost _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await _redis.StartAsync();
        _host = new GatewayHost(database, RealServices.NewKeyPrefix(), _time, GatewayHost.Policy(), _redis.ConnectionString);
        _client = _host.CreateClient();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Redis_down_answers_bypass_without_5xx_and_caching_resumes_when_it_is_back()
    {
        await database.SeedAsync("cached", 5);
        await database.SeedAsync("cold", 5);
        await database.SeedAsync("later", 5);
        Assert.Equal("MISS", (await _client.GetAnswerAsync("/ranking/cached")).CacheStatus);

        await _redis.StopAsync();
        var before = await database.OriginQueriesAsync();
        var during = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => _client.GetAnswerAsync(i % 2 == 0 ? "/ranking/cold" : "/ranking/cached")));

        Assert.All(during, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Contains(during, a => a.CacheStatus == "BYPASS");
        Assert.Single(during.Where(a => a.Json.GetProperty("group").GetString() == "cold").Select(a => a.UserIds.First()).Distinct());
        // In-process single-flight still holds without Redis: the cold group is not fetched per request.
        Assert.InRange(await database.OriginQueriesAsync() - before, 1, 2);
        var live = await _client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        await _redis.StartAsync();
        var cachedAgain = await Eventually.Until(
            () => _client.GetAnswerAsync("/ranking/later"),
            a => a.CacheStatus is "MISS" or "FRESH",
            "answers through Redis again",
            TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, cachedAgain.Status);
        await Eventually.Until(() => _client.GetAnswerAsync("/ranking/later"), a => a.CacheStatus == "FRESH", "a FRESH answer from Redis");
    }
}
