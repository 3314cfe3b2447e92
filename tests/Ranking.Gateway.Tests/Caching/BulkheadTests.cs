using System.Net;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>A policy's bulkhead: at most MaxConcurrentFetches origin fetches, a queue whose waits are bounded, then 503.</summary>
public sealed class BulkheadTests(TestDatabase database) : OneGatewayTest(database, Settings())
{
    [Fact]
    public async Task Misses_past_the_limit_and_the_queue_get_503_at_once_while_cached_answers_go_on()
    {
        await Database.SeedAsync("cached", 3);
        Assert.Equal("MISS", (await Client.GetAnswerAsync("/ranking/cached")).CacheStatus);
        for (var i = 0; i < 10; i++)
        {
            await Database.SeedAsync($"b{i}", 3);
        }

        // Two fetches held at the origin, one waiting for a slot: the other seven misses are turned away.
        Host.Faults.Close();
        var misses = Enumerable.Range(0, 10).Select(i => Client.GetAnswerAsync($"/ranking/b{i}")).ToArray();
        await Eventually.Until(() => Host.Faults.Waiting == 2, "two fetches at the origin");
        var rejected = await Eventually.Until(
            () => Task.FromResult(misses.Where(m => m.IsCompleted).ToArray()),
            done => done.Length >= 7,
            "seven misses answered without waiting");
        Assert.Equal(7, rejected.Length);
        Assert.All(rejected, m =>
        {
            ProblemAssert.IsProblem(m.Result, HttpStatusCode.ServiceUnavailable, "Ranking unavailable");
            Assert.Equal("5", m.Result.Header("Retry-After"));
        });
        Assert.Equal(1 + 2, Host.Faults.Calls);

        // A cached group is answered while the origin is stuck.
        Assert.Equal("FRESH", (await Client.GetAnswerAsync("/ranking/cached")).CacheStatus);

        Host.Faults.Open();
        var served = await Task.WhenAll(misses.Where(m => !rejected.Contains(m)));
        Assert.All(served, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal(1 + 3, Host.Faults.Calls);
    }

    [Fact]
    public async Task A_miss_waits_for_a_slot_at_most_OriginTimeout_then_gets_503_without_asking_the_origin()
    {
        for (var i = 0; i < 3; i++)
        {
            await Database.SeedAsync($"w{i}", 3);
        }

        Host.Faults.Close();
        var held = new[] { Client.GetAnswerAsync("/ranking/w0"), Client.GetAnswerAsync("/ranking/w1") };
        await Eventually.Until(() => Host.Faults.Waiting == 2, "two fetches at the origin");
        var queued = Client.GetAnswerAsync("/ranking/w2");

        // The gateway's clock moves on by OriginTimeout at each look (the held fetches' own timeouts run on the wall clock,
        // so they stay held): the queued miss is turned away once its wait for a slot has lasted that long.
        await Eventually.Until(
            () =>
            {
                Time.Advance(TimeSpan.FromSeconds(20));
                return Task.FromResult(queued.IsCompleted);
            },
            done => done,
            "the queued miss answered");
        ProblemAssert.IsProblem(await queued, HttpStatusCode.ServiceUnavailable, "Ranking unavailable");
        Assert.Equal(2, Host.Faults.Calls);
        Assert.Equal(2, Host.Faults.Waiting);

        Host.Faults.Open();
        Assert.All(await Task.WhenAll(held), a => Assert.Equal(HttpStatusCode.OK, a.Status));
    }

    private static Dictionary<string, string?> Settings()
    {
        var settings = GatewayHost.Policy();
        settings["Gateway:Policies:ranking:MaxConcurrentFetches"] = "2";
        settings["Gateway:Policies:ranking:MaxQueuedFetches"] = "1";
        // The held fetches must not time out while the test counts (a slow CI run): that would free a slot.
        settings["Gateway:Policies:ranking:OriginTimeout"] = "00:00:20";
        return settings;
    }
}
