using System.Net;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

public sealed class OriginFailureTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private GatewayHost _host = null!;
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        var policy = GatewayHost.Policy(fresh: TimeSpan.FromSeconds(60), stale: TimeSpan.FromMinutes(10), staleIfError: TimeSpan.FromHours(1));
        _host = new GatewayHost(database, RealServices.NewKeyPrefix(), _time, policy);
        _client = _host.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Stale_is_served_within_stale_if_error_then_503_then_fresh_after_recovery()
    {
        await database.SeedAsync("flaky", 10);
        var cached = await _client.GetAnswerAsync("/ranking/flaky");
        Assert.Equal("MISS", cached.CacheStatus);

        // Stale window: the failing refresh keeps the stale copy in service.
        _host.Faults.Fail = true;
        _time.Advance(TimeSpan.FromSeconds(61));
        var stale = await _client.GetAnswerAsync("/ranking/flaky");
        Assert.Equal((HttpStatusCode.OK, "STALE", cached.Body), (stale.Status, stale.CacheStatus, stale.Body));
        await Eventually.Until(() => _host.Faults.Calls >= 2, "the background refresh to be tried");
        Assert.Equal("STALE", (await _client.GetAnswerAsync("/ranking/flaky")).CacheStatus);

        // Past the stale window but within stale-if-error: the origin is tried, fails, the old copy answers.
        _time.Advance(TimeSpan.FromMinutes(30));
        var callsBefore = _host.Faults.Calls;
        var standIn = await _client.GetAnswerAsync("/ranking/flaky");
        Assert.Equal((HttpStatusCode.OK, "STALE", cached.Body), (standIn.Status, standIn.CacheStatus, standIn.Body));
        Assert.True(_host.Faults.Calls > callsBefore, "the origin should have been tried before falling back");

        // Past stale-if-error: nothing may stand in any more.
        _time.Advance(TimeSpan.FromHours(1));
        var unavailable = await _client.GetAnswerAsync("/ranking/flaky");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.Status);
        Assert.Equal("application/problem+json", unavailable.Message.Content.Headers.ContentType?.MediaType);
        Assert.Equal("5", unavailable.Header("Retry-After"));
        Assert.DoesNotContain("Exception", unavailable.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", unavailable.Body, StringComparison.Ordinal);

        // Recovery.
        _host.Faults.Fail = false;
        Assert.Equal("MISS", (await _client.GetAnswerAsync("/ranking/flaky")).CacheStatus);
        Assert.Equal("FRESH", (await _client.GetAnswerAsync("/ranking/flaky")).CacheStatus);
    }

    [Fact]
    public async Task A_miss_with_the_origin_failing_is_503_with_retry_after()
    {
        await database.SeedAsync("never-cached", 3);
        _host.Faults.Fail = true;
        try
        {
            var answer = await _client.GetAnswerAsync("/ranking/never-cached");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
            Assert.Equal("5", answer.Header("Retry-After"));
        }
        finally
        {
            _host.Faults.Fail = false;
        }

        Assert.Equal("MISS", (await _client.GetAnswerAsync("/ranking/never-cached")).CacheStatus);
    }
}
