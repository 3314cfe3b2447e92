using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Ranking.Gateway.Ranking;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Ranking;

/// <summary>
/// The known-groups filter: ids outside the set cost no query at all, a new group is learnt from the change listing
/// within a poll, and the filter is on by default with a PostgreSQL origin.
/// </summary>
public sealed class RejectUnknownGroupsTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task By_default_a_flood_of_unknown_ids_never_reaches_postgres_and_a_new_group_is_readable_within_a_poll()
    {
        await database.SeedAsync("known", 3);
        var settings = GatewayHost.Policy();
        settings["Ranking:RejectUnknownGroups"] = null; // the default, not the test hosts' "false"
        settings["Ranking:KnownGroupsPoll"] = "00:00:00.200";
        await using var host = new GatewayHost(database, RealServices.NewKeyPrefix(), new(DateTimeOffset.UtcNow), settings);
        using var client = host.CreateClient();
        var known = host.Services.GetRequiredService<KnownGroups>();
        await Eventually.Until(() => known.Count is not null, "the known groups read");
        var before = await database.OriginQueriesAsync();

        var flood = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => client.GetAnswerAsync($"/ranking/r{Guid.NewGuid():N}")));

        Assert.All(flood, a => ProblemAssert.IsProblem(a, HttpStatusCode.NotFound, "Unknown group"));
        Assert.Equal(before, await database.OriginQueriesAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAnswerAsync("/ranking/known")).Status);

        // Learnt from the change listing, not a full read (those come every 10 minutes).
        await database.SeedAsync("newcomer", 3);
        var late = await Eventually.Until(() => client.GetAnswerAsync("/ranking/newcomer"), a => a.Status == HttpStatusCode.OK, "the new group readable", TimeSpan.FromSeconds(5));
        Assert.Equal("u1", late.UserIds[0]);
    }

    [Fact]
    public async Task When_the_change_listing_fails_the_set_is_read_whole_and_the_failure_retried_slowly()
    {
        await database.SeedAsync("steady", 3);
        var settings = GatewayHost.Policy();
        settings["Ranking:RejectUnknownGroups"] = "true";
        settings["Ranking:KnownGroupsPoll"] = "00:00:00.100";
        settings["Ranking:KnownGroupsRefresh"] = "00:00:01"; // so a retry after a failure waits 1 s, not one 100 ms poll
        settings["Ranking:ChangedGroupsSql"] = "SELECT group_id, updated_at FROM no_such_table WHERE updated_at > @since";
        await using var host = new GatewayHost(database, RealServices.NewKeyPrefix(), new(DateTimeOffset.UtcNow), settings, services: s => s.AddFakeLogging());
        using var client = host.CreateClient();
        var known = host.Services.GetRequiredService<KnownGroups>();
        await Eventually.Until(() => known.Count is not null, "the known groups read");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // Learnt by the full read that follows each failed look at the changes.
        await database.SeedAsync("arrival", 3);
        await Eventually.Until(() => client.GetAnswerAsync("/ranking/arrival"), a => a.Status == HttpStatusCode.OK, "the new group readable");
        await Eventually.Until(() => clock.Elapsed > TimeSpan.FromSeconds(3), "three seconds of polling");

        // One failure a second at most, not one every 100 ms poll.
        var failures = host.Services.GetFakeLogCollector().GetSnapshot().Count(r => r.Level == LogLevel.Warning && r.Message.Contains("Could not read the known groups", StringComparison.Ordinal));
        Assert.InRange(failures, 1, (int)clock.Elapsed.TotalSeconds + 2);
    }

    [Fact]
    public async Task Turned_off_an_unknown_id_is_asked_once()
    {
        await using var host = new GatewayHost(database, RealServices.NewKeyPrefix(), new(DateTimeOffset.UtcNow), GatewayHost.Policy());
        using var client = host.CreateClient();
        var before = await database.OriginQueriesAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAnswerAsync("/ranking/not-there")).Status);

        Assert.Equal(before + 1, await database.OriginQueriesAsync());
    }

    [Fact]
    public void The_filter_never_forgets_an_id_and_lets_through_about_its_false_positive_rate_of_the_others()
    {
        var filter = new GroupFilter(100_000, 0.01);
        var added = Enumerable.Range(0, 100_000).Select(i => $"g{i}").ToArray();
        foreach (var id in added)
        {
            filter.Add(id);
        }

        var passed = Enumerable.Range(0, 100_000).Count(i => filter.MayContain($"unknown-{i}"));

        Assert.All(added, id => Assert.True(filter.MayContain(id)));
        Assert.InRange(passed, 500, 1_500); // 1% of 100,000, with room for chance
        Assert.InRange(filter.FalsePositiveRate(), 0.005, 0.015);
        Assert.InRange(filter.Bytes, 100_000, 130_000); // about 1.2 bytes a group at 1%
    }
}
