using System.Net;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>Two gateway instances sharing Redis and PostgreSQL, hit by many concurrent clients.</summary>
[Trait("Category", "Cluster")]
public sealed class StampedeTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private GatewayHost _a = null!;
    private GatewayHost _b = null!;
    private HttpClient[] _clients = null!;

    public Task InitializeAsync()
    {
        var prefix = RealServices.NewKeyPrefix();
        _a = new GatewayHost(database, prefix, _time, GatewayHost.Policy());
        _b = new GatewayHost(database, prefix, _time, GatewayHost.Policy());
        _clients = [_a.CreateClient(), _b.CreateClient()];
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(1000)]
    public async Task Cold_group_is_fetched_once_across_instances(int clients)
    {
        var group = $"cold{clients}";
        await database.SeedAsync(group, 150);
        var before = await database.OriginQueriesAsync();

        var answers = await Concurrently(clients, i => _clients[i % 2].GetAnswerAsync($"/ranking/{group}"));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Single(answers.Select(a => a.Body).Distinct());
        Assert.Equal(100, answers[0].UserIds.Length);
        Assert.Equal(before + 1, await database.OriginQueriesAsync());
        Assert.Contains(answers, a => a.CacheStatus == "MISS");
    }

    [Fact]
    public async Task Stale_group_is_served_at_once_and_refreshed_once_across_instances()
    {
        await database.SeedAsync("hot", 20);
        var first = await _clients[0].GetAnswerAsync("/ranking/hot");
        Assert.Equal("MISS", first.CacheStatus);
        await database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000 WHERE group_id = 'hot' AND user_id = 'u20'");
        var before = await database.OriginQueriesAsync();
        _time.Advance(TimeSpan.FromSeconds(61));

        // A slow origin: the refresh's answer is held until the test lets it go.
        _a.Faults.Close();
        _b.Faults.Close();
        var answers = await Concurrently(1000, i => _clients[i % 2].GetAnswerAsync("/ranking/hot"));

        // Every client was answered while the origin's answer was held back: nobody waited for the refresh,
        // and exactly one refresh reached the origin.
        Assert.All(answers, a => Assert.Equal((HttpStatusCode.OK, "STALE", first.Body), (a.Status, a.CacheStatus, a.Body)));
        await Eventually.Until(() => _a.Faults.Waiting + _b.Faults.Waiting == 1, "one refresh held at the origin");

        _a.Faults.Open();
        _b.Faults.Open();
        foreach (var client in _clients)
        {
            var fresh = await Eventually.Until(() => client.GetAnswerAsync("/ranking/hot"), a => a.CacheStatus == "FRESH", "a FRESH answer on each instance");
            Assert.Equal("u20", fresh.UserIds[0]);
        }

        Assert.Equal(before + 1, await database.OriginQueriesAsync());
        Assert.Equal(2, _a.Faults.Calls + _b.Faults.Calls); // the first miss and one refresh
    }

    // Starts every call before any runs, so they really are concurrent.
    private static async Task<Answer[]> Concurrently(int count, Func<int, Task<Answer>> call)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await start.Task;
            return await call(i);
        }).ToArray();
        start.SetResult();
        return await Task.WhenAll(tasks);
    }
}
