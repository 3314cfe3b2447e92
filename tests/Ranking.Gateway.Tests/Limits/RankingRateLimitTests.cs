using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Limits;

public sealed class RankingRateLimitTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const string ClientA = "203.0.113.10";
    private const string ClientB = "203.0.113.20";

    public Task InitializeAsync() => database.SeedAsync("g1", 3);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Off_by_default_one_client_is_never_refused()
    {
        await using var host = LimitedHosts.Create(database, GatewayHost.Policy());
        using var client = host.CreateClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => client.GetAsync("/ranking/g1", ClientA)));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
    }

    [Fact]
    public async Task The_request_past_the_budget_gets_429_problem_json_with_Retry_After()
    {
        await using var host = LimitedHosts.Create(database, LimitedHosts.Limits(ranking: 3));
        using var client = host.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/ranking/g1?limit={i + 1}", ClientA)).Status);
        }

        var refused = await client.GetAsync("/ranking/g1", ClientA);

        ProblemAssert.IsProblem(refused, HttpStatusCode.TooManyRequests, "Too many requests");
        Assert.Equal("3600", refused.Header("Retry-After"));
        Assert.Empty(refused.CacheStatus);
    }

    [Fact]
    public async Task A_policy_s_bucket_takes_what_it_does_not_name_from_the_default()
    {
        var settings = new Dictionary<string, string?>(GatewayHost.Policy())
        {
            ["RateLimits:Enabled"] = "true",
            ["RateLimits:Default:TokensPerPeriod"] = "1",
            ["RateLimits:Default:ReplenishmentPeriod"] = "00:10:00",
            ["RateLimits:Policies:ranking:TokenLimit"] = "1",
        };
        await using var host = LimitedHosts.Create(database, settings);
        using var client = host.CreateClient();

        var first = await client.GetAsync("/ranking/g1", ClientA);
        var refused = await client.GetAsync("/ranking/g1", ClientA);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.TooManyRequests), (first.Status, refused.Status));
        Assert.Equal("600", refused.Header("Retry-After"));
    }

    [Fact]
    public async Task A_refused_HEAD_gets_429_with_Retry_After_and_no_body()
    {
        await using var host = LimitedHosts.Create(database, LimitedHosts.Limits(ranking: 1));
        using var client = host.CreateClient();
        await client.GetAsync("/ranking/g1", ClientA);

        using var head = TestClientAddress.Get("/ranking/g1", ClientA);
        head.Method = HttpMethod.Head;
        var refused = await client.SendAnswerAsync(head);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.Equal("3600", refused.Header("Retry-After"));
        Assert.Empty(refused.Body);
    }

    [Fact]
    public async Task Another_client_keeps_its_own_budget()
    {
        await using var host = LimitedHosts.Create(database, LimitedHosts.Limits(ranking: 2));
        using var client = host.CreateClient();
        await client.GetAsync("/ranking/g1", ClientA);
        await client.GetAsync("/ranking/g1", ClientA);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync("/ranking/g1", ClientA)).Status);

        var b = await Task.WhenAll(client.GetAsync("/ranking/g1", ClientB), client.GetAsync("/ranking/g1", ClientB));

        Assert.All(b, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync("/ranking/g1", ClientB)).Status);
    }

    [Fact]
    public async Task Concurrent_requests_from_one_client_get_exactly_its_budget()
    {
        await using var host = LimitedHosts.Create(database, LimitedHosts.Limits(ranking: 10));
        using var client = host.CreateClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.GetAsync("/ranking/g1", ClientA)));

        Assert.Equal(10, answers.Count(a => a.Status == HttpStatusCode.OK));
        Assert.Equal(40, answers.Count(a => a.Status == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task IPv6_clients_are_counted_by_their_64_bit_prefix()
    {
        await using var host = LimitedHosts.Create(database, LimitedHosts.Limits(ranking: 1));
        using var client = host.CreateClient();

        var first = await client.GetAsync("/ranking/g1", "2001:db8:1:2::10");
        var sameNetwork = await client.GetAsync("/ranking/g1", "2001:db8:1:2:ffff::99");
        var otherNetwork = await client.GetAsync("/ranking/g1", "2001:db8:1:3::10");

        Assert.Equal(
            (HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.OK),
            (first.Status, sameNetwork.Status, otherNetwork.Status));
    }

    [Fact]
    public async Task An_IPv4_client_on_a_dual_stack_socket_is_the_same_client()
    {
        await using var host = LimitedHosts.Create(database, LimitedHosts.Limits(ranking: 1));
        using var client = host.CreateClient();

        await client.GetAsync("/ranking/g1", ClientA);
        var mapped = await client.GetAsync("/ranking/g1", "::ffff:" + ClientA);

        Assert.Equal(HttpStatusCode.TooManyRequests, mapped.Status);
    }

    [Fact]
    public async Task Health_and_metrics_are_never_limited()
    {
        await using var host = LimitedHosts.Create(database, LimitedHosts.Limits(ranking: 1));
        using var client = host.CreateClient();
        await client.GetAsync("/ranking/g1", ClientA);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync("/ranking/g1", ClientA)).Status);

        var live = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.GetAsync("/health/live", ClientA)));
        var ready = await client.GetAsync("/health/ready", ClientA);
        var metrics = await client.GetAsync("/metrics", ClientA);

        Assert.All(live, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (ready.Status, metrics.Status));
    }

    [Fact]
    public async Task Refusals_are_counted_by_policy_and_never_by_client()
    {
        await using var host = LimitedHosts.Create(database, LimitedHosts.Limits(ranking: 1));
        using var client = host.CreateClient();
        using var rejections = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), CacheMetrics.MeterName, "gateway.rate_limit.rejections");

        await client.GetAsync("/ranking/g1", ClientA);
        await client.GetAsync("/ranking/g1", ClientA);
        await client.GetAsync("/ranking/g1", ClientA);
        await client.GetAsync("/ranking/g1", ClientB);

        var counted = rejections.GetMeasurementSnapshot();
        Assert.Equal(2, counted.Sum(m => m.Value));
        Assert.All(counted, m => Assert.Equal(["policy"], m.Tags.Keys));
        Assert.All(counted, m => Assert.Equal("ranking", m.Tags["policy"]));
    }
}
