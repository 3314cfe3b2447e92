using System.Net;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

[Trait("Category", "Cluster")]
public sealed class OriginFailureTests(TestDatabase database) : OneGatewayTest(database, GatewayHost.Policy(fresh: TimeSpan.FromSeconds(60), stale: TimeSpan.FromMinutes(10), staleIfError: TimeSpan.FromHours(1)))
{
    [Fact]
    public async Task Stale_is_served_within_stale_if_error_then_503_then_fresh_after_recovery()
    {
        await Database.SeedAsync("flaky", 10);
        var cached = await Client.GetAnswerAsync("/ranking/flaky");
        Assert.Equal("MISS", cached.CacheStatus);

        // Stale window: the failing refresh keeps the stale copy in service.
        Host.Faults.Fail = true;
        Time.Advance(TimeSpan.FromSeconds(61));
        var stale = await Client.GetAnswerAsync("/ranking/flaky");
        Assert.Equal((HttpStatusCode.OK, "STALE", cached.Body), (stale.Status, stale.CacheStatus, stale.Body));
        await Eventually.Until(() => Host.Faults.Calls >= 2, "the background refresh to be tried");
        Assert.Equal("STALE", (await Client.GetAnswerAsync("/ranking/flaky")).CacheStatus);

        // Past the stale window but within stale-if-error: the origin is tried, fails, the old copy answers.
        Time.Advance(TimeSpan.FromMinutes(30));
        var callsBefore = Host.Faults.Calls;
        var standIn = await Client.GetAnswerAsync("/ranking/flaky");
        Assert.Equal((HttpStatusCode.OK, "STALE", cached.Body), (standIn.Status, standIn.CacheStatus, standIn.Body));
        Assert.True(Host.Faults.Calls > callsBefore, "the origin should have been tried before falling back");

        // Past stale-if-error: nothing may stand in any more.
        Time.Advance(TimeSpan.FromHours(1));
        var unavailable = await Client.GetAnswerAsync("/ranking/flaky");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.Status);
        Assert.Equal("application/problem+json", unavailable.Message.Content.Headers.ContentType?.MediaType);
        Assert.Equal("5", unavailable.Header("Retry-After"));
        Assert.DoesNotContain("Exception", unavailable.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", unavailable.Body, StringComparison.Ordinal);

        // Recovery.
        Host.Faults.Fail = false;
        Assert.Equal("MISS", (await Client.GetAnswerAsync("/ranking/flaky")).CacheStatus);
        Assert.Equal("FRESH", (await Client.GetAnswerAsync("/ranking/flaky")).CacheStatus);
    }

    [Fact]
    public async Task A_miss_with_the_origin_failing_is_503_with_retry_after()
    {
        await Database.SeedAsync("never-cached", 3);
        Host.Faults.Fail = true;
        try
        {
            var answer = await Client.GetAnswerAsync("/ranking/never-cached");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
            Assert.Equal("5", answer.Header("Retry-After"));
        }
        finally
        {
            Host.Faults.Fail = false;
        }

        Assert.Equal("MISS", (await Client.GetAnswerAsync("/ranking/never-cached")).CacheStatus);
    }
}
