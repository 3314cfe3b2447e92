using System.Net;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Ranking;

/// <summary>With <c>Negative</c> = 0 a "not found" is never cached, here or downstream.</summary>
public sealed class NegativeCachingOffTests(TestDatabase database) : OneGatewayTest(database, Settings())
{
    [Fact]
    public async Task An_unknown_group_is_asked_again_every_time_and_says_so_to_downstream_caches()
    {
        var before = await Database.OriginQueriesAsync();

        var first = await Client.GetAnswerAsync("/ranking/ghost");
        var second = await Client.GetAnswerAsync("/ranking/ghost");

        Assert.All(new[] { first, second }, a =>
        {
            Assert.Equal(HttpStatusCode.NotFound, a.Status);
            Assert.Equal("no-store", a.Header("Cache-Control"));
            Assert.Equal("Ranking.Gateway; fwd=miss", a.Header("Cache-Status"));
        });
        Assert.Equal(before + 2, await Database.OriginQueriesAsync());
    }

    private static Dictionary<string, string?> Settings()
    {
        var settings = GatewayHost.Policy();
        settings["Gateway:Policies:ranking:Negative"] = "00:00:00";
        return settings;
    }
}
