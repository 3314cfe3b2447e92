using System.Net;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Proxy;

/// <summary>A cached route's bulkhead: at most MaxConcurrentFetches upstream fills, a short queue, then 503 at once.</summary>
public sealed class RouteBulkheadTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly UpstreamServer _upstream = new();
    private GatewayHost _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await _upstream.StartAsync();
        _host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), new FakeTimeProvider(DateTimeOffset.UtcNow), _upstream, new Dictionary<string, string?>
        {
            ["Gateway:Policies:upstream:MaxConcurrentFetches"] = "2",
            ["Gateway:Policies:upstream:MaxQueuedFetches"] = "1",
            ["Gateway:Policies:upstream:RetryAfter"] = "00:00:07",
        });
        _client = _host.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _upstream.Open();
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Fills_past_the_limit_and_the_queue_get_503_at_once_while_cached_answers_go_on()
    {
        Assert.Equal("MISS", (await _client.GetAnswerAsync("/api/items/cached")).CacheStatus);

        // Two fills held at the upstream, one waiting for a slot: the other seven misses are turned away.
        _upstream.Close();
        var misses = Enumerable.Range(0, 10).Select(i => _client.GetAnswerAsync($"/api/items/b{i}")).ToArray();
        await Eventually.Until(() => _upstream.Waiting == 2, "two fills at the upstream");
        var rejected = await Eventually.Until(
            () => Task.FromResult(misses.Where(m => m.IsCompleted).ToArray()),
            done => done.Length >= 7,
            "seven misses answered without waiting");
        Assert.Equal(7, rejected.Length);
        Assert.All(rejected, m =>
        {
            ProblemAssert.IsProblem(m.Result, HttpStatusCode.ServiceUnavailable, "Upstream busy");
            Assert.Equal("7", m.Result.Header("Retry-After"));
        });
        Assert.Equal(1 + 2, _upstream.Requests("items"));

        // A cached path is answered while the upstream is stuck.
        Assert.Equal("FRESH", (await _client.GetAnswerAsync("/api/items/cached")).CacheStatus);

        _upstream.Open();
        var served = await Task.WhenAll(misses.Where(m => !rejected.Contains(m)));
        Assert.All(served, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal(1 + 3, _upstream.Requests("items"));
    }
}
