using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Ranking.Gateway.Ranking;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Ranking;

/// <summary>With <c>Ranking:RejectUnknownGroups</c>, ids outside the known set cost no query at all.</summary>
public sealed class RejectUnknownGroupsTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task A_flood_of_unknown_ids_never_reaches_postgres_and_a_new_group_is_readable_within_a_refresh()
    {
        await database.SeedAsync("known", 3);
        var settings = GatewayHost.Policy();
        settings["Ranking:RejectUnknownGroups"] = "true";
        settings["Ranking:KnownGroupsRefresh"] = "00:00:01";
        await using var host = new GatewayHost(database, RealServices.NewKeyPrefix(), new(DateTimeOffset.UtcNow), settings);
        using var client = host.CreateClient();
        var known = host.Services.GetRequiredService<KnownGroups>();
        await Eventually.Until(() => known.Count == 1, "the known groups read");
        var before = await database.OriginQueriesAsync();

        var flood = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => client.GetAnswerAsync($"/ranking/r{Guid.NewGuid():N}")));

        Assert.All(flood, a => ProblemAssert.IsProblem(a, HttpStatusCode.NotFound, "Unknown group"));
        Assert.Equal(before, await database.OriginQueriesAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAnswerAsync("/ranking/known")).Status);

        await database.SeedAsync("newcomer", 3);
        var late = await Eventually.Until(() => client.GetAnswerAsync("/ranking/newcomer"), a => a.Status == HttpStatusCode.OK, "the new group readable");
        Assert.Equal("u1", late.UserIds[0]);
    }

    [Fact]
    public async Task Off_by_default_an_unknown_id_is_asked_once()
    {
        await using var host = new GatewayHost(database, RealServices.NewKeyPrefix(), new(DateTimeOffset.UtcNow), GatewayHost.Policy());
        using var client = host.CreateClient();
        var before = await database.OriginQueriesAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAnswerAsync("/ranking/not-there")).Status);

        Assert.Equal(before + 1, await database.OriginQueriesAsync());
    }
}
