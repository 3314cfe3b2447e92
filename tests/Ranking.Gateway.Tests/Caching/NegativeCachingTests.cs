using System.Net;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

public sealed class NegativeCachingTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private GatewayHost _host = null!;
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _host = new GatewayHost(database, RealServices.NewKeyPrefix(), _time, GatewayHost.Policy());
        _client = _host.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_flood_of_reads_of_an_unknown_group_reaches_the_database_once_per_negative_window()
    {
        var before = await database.OriginQueriesAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => _client.GetAnswerAsync("/ranking/nobody")));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.NotFound, a.Status));
        Assert.All(answers, a => Assert.Equal("application/problem+json", a.Message.Content.Headers.ContentType?.MediaType));
        Assert.Equal(before + 1, await database.OriginQueriesAsync());
        Assert.Equal("FRESH", (await _client.GetAnswerAsync("/ranking/nobody")).CacheStatus);
        Assert.Equal("public, max-age=5", (await _client.GetAnswerAsync("/ranking/nobody")).Header("Cache-Control"));

        // The group appears; after the negative window the gateway sees it.
        await database.SeedAsync("nobody", 2);
        _time.Advance(TimeSpan.FromSeconds(6));
        var found = await _client.GetAnswerAsync("/ranking/nobody");
        Assert.Equal((HttpStatusCode.OK, "MISS"), (found.Status, found.CacheStatus));
        Assert.Equal(before + 2, await database.OriginQueriesAsync());
    }
}
