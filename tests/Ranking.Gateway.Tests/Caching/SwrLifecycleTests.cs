using System.Net;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

[Trait("Category", "Cluster")]
public sealed class SwrLifecycleTests(TestDatabase database) : OneGatewayTest(database)
{
    [Fact]
    public async Task Miss_then_fresh_then_stale_with_one_revalidation_then_fresh_with_new_data()
    {
        await Database.SeedAsync("life", 5);
        var queries = await Database.OriginQueriesAsync();

        var miss = await Client.GetAnswerAsync("/ranking/life");
        Assert.Equal((HttpStatusCode.OK, "MISS"), (miss.Status, miss.CacheStatus));
        Assert.Equal(["u1", "u2", "u3", "u4", "u5"], miss.UserIds);

        Time.Advance(TimeSpan.FromSeconds(30));
        var fresh = await Client.GetAnswerAsync("/ranking/life");
        Assert.Equal("FRESH", fresh.CacheStatus);
        Assert.Equal(miss.Body, fresh.Body);
        Assert.Equal("30", fresh.Header("Age"));
        Assert.Equal(queries + 1, await Database.OriginQueriesAsync());

        // New data arrives; the cache keeps serving the old Top-N until it is stale.
        await Database.ExecuteAsync("UPDATE ranking_scores SET score = score + 1000 WHERE group_id = 'life' AND user_id = 'u5'");
        Time.Advance(TimeSpan.FromSeconds(31));
        var stale = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Client.GetAnswerAsync("/ranking/life")));
        Assert.Contains(stale, a => a.CacheStatus == "STALE");
        Assert.All(stale.Where(a => a.CacheStatus == "STALE"), a =>
        {
            Assert.Equal((HttpStatusCode.OK, miss.Body), (a.Status, a.Body));
            Assert.Contains("ttl=-1", a.Header("Cache-Status"));
        });

        // The one revalidation may finish while these 20 are still being answered (a busy machine schedules some of
        // them late): whatever is not STALE is the new data.
        Assert.All(stale.Where(a => a.CacheStatus != "STALE"), a => Assert.Equal(("FRESH", "u5"), (a.CacheStatus, a.UserIds[0])));

        var refreshed = await Eventually.Until(() => Client.GetAnswerAsync("/ranking/life"), a => a.CacheStatus == "FRESH", "a FRESH answer after revalidation");
        Assert.Equal(["u5", "u1", "u2", "u3", "u4"], refreshed.UserIds);
        Assert.Equal(queries + 2, await Database.OriginQueriesAsync());
    }
}
