using System.Net;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

public sealed class NegativeCachingTests(TestDatabase database) : OneGatewayTest(database)
{
    [Fact]
    public async Task A_flood_of_reads_of_an_unknown_group_reaches_the_database_once_per_negative_window()
    {
        var before = await Database.OriginQueriesAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Client.GetAnswerAsync("/ranking/nobody")));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.NotFound, a.Status));
        Assert.All(answers, a => Assert.Equal("application/problem+json", a.Message.Content.Headers.ContentType?.MediaType));
        Assert.Equal(before + 1, await Database.OriginQueriesAsync());
        Assert.Equal("FRESH", (await Client.GetAnswerAsync("/ranking/nobody")).CacheStatus);
        Assert.Equal("public, max-age=5", (await Client.GetAnswerAsync("/ranking/nobody")).Header("Cache-Control"));

        // The group appears; after the negative window the gateway sees it.
        await Database.SeedAsync("nobody", 2);
        Time.Advance(TimeSpan.FromSeconds(6));
        var found = await Client.GetAnswerAsync("/ranking/nobody");
        Assert.Equal((HttpStatusCode.OK, "MISS"), (found.Status, found.CacheStatus));
        Assert.Equal(before + 2, await Database.OriginQueriesAsync());
    }
}
