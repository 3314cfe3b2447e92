using System.Net;
using Ranking.Gateway.Tests.Infrastructure;
using Ranking.Gateway.Tests.Proxy;

namespace Ranking.Gateway.Tests.Limits;

/// <summary>Cached routes are limited under their route's policy; routes without one are not limited.</summary>
public sealed class RouteRateLimitTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const string Client = "203.0.113.30";

    private readonly UpstreamServer _upstream = new();

    public async Task InitializeAsync()
    {
        await database.SeedAsync("g1", 3);
        await _upstream.StartAsync();
    }

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task A_cached_route_s_policy_has_its_own_budget_and_an_unlisted_policy_takes_the_default()
    {
        // The route's policy, "upstream", is not listed: it takes the default bucket of three.
        await using var host = LimitedHosts.Create(database, ProxyHosts.Settings(_upstream, LimitedHosts.Limits(ranking: 2, new Dictionary<string, string?>
        {
            ["RateLimits:Default:TokenLimit"] = "3",
            ["RateLimits:Default:TokensPerPeriod"] = "1",
            ["RateLimits:Default:ReplenishmentPeriod"] = "01:00:00",
        })));
        using var client = host.CreateClient();
        await client.GetAsync("/ranking/g1", Client);
        await client.GetAsync("/ranking/g1", Client);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync("/ranking/g1", Client)).Status);

        var route = new List<Answer>();
        for (var i = 0; i < 4; i++)
        {
            route.Add(await client.GetAsync($"/api/items/{i % 2}", Client));
        }

        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests],
            route.Select(a => a.Status));
        ProblemAssert.IsProblem(route[3], HttpStatusCode.TooManyRequests, "Too many requests");
        Assert.Equal("3600", route[3].Header("Retry-After"));
    }

    [Fact]
    public async Task Every_method_on_a_cached_route_counts_against_its_policy()
    {
        await using var host = LimitedHosts.Create(database, ProxyHosts.Settings(_upstream, LimitedHosts.Limits(ranking: 5, new Dictionary<string, string?>
        {
            ["RateLimits:Policies:upstream:TokenLimit"] = "1",
            ["RateLimits:Policies:upstream:TokensPerPeriod"] = "1",
            ["RateLimits:Policies:upstream:ReplenishmentPeriod"] = "01:00:00",
        })));
        using var client = host.CreateClient();

        using var post = TestClientAddress.Get("/api/echo", Client);
        post.Method = HttpMethod.Post;
        post.Content = new StringContent("hello");
        var posted = await client.SendAnswerAsync(post);
        var get = await client.GetAsync("/api/items/1", Client);

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.TooManyRequests), (posted.Status, get.Status));
    }

    [Fact]
    public async Task A_route_without_a_cache_policy_is_not_limited()
    {
        await using var host = LimitedHosts.Create(database, ProxyHosts.Settings(_upstream, LimitedHosts.Limits(ranking: 1, new Dictionary<string, string?>
        {
            ["RateLimits:Default:TokenLimit"] = "1",
        })));
        using var client = host.CreateClient();

        var plain = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.GetAsync($"/plain/{i}", Client)));

        Assert.All(plain, a => Assert.Equal(HttpStatusCode.Accepted, a.Status));
        Assert.Equal(20, _upstream.Requests("plain"));
    }

    [Fact]
    public async Task A_cached_route_that_disables_rate_limiting_in_YARP_is_not_limited()
    {
        await using var host = LimitedHosts.Create(database, ProxyHosts.Settings(_upstream, LimitedHosts.Limits(ranking: 1, new Dictionary<string, string?>
        {
            ["RateLimits:Default:TokenLimit"] = "1",
            ["ReverseProxy:Routes:cached:RateLimiterPolicy"] = "Disable",
        })));
        using var client = host.CreateClient();

        var cached = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.GetAsync("/api/items/1", Client)));

        Assert.All(cached, a => Assert.Equal(HttpStatusCode.OK, a.Status));
    }

    [Fact]
    public async Task The_upstream_sees_the_client_a_known_proxy_named_not_the_proxy()
    {
        var settings = ProxyHosts.Routes(["PathRemovePrefix=/{route}"], [("Destinations:d1:Address", _upstream.Address)]);
        settings["ForwardedHeaders:KnownProxies:0"] = "10.0.0.1";
        await using var host = LimitedHosts.Create(database, settings);
        using var client = host.CreateClient();

        var fromProxy = await client.GetAsync("/plain/echo/x", "10.0.0.1", forwardedFor: "198.51.100.1");
        var spoofed = await client.GetAsync("/plain/echo/y", "203.0.113.9", forwardedFor: "198.51.100.2");

        Assert.Contains("x-forwarded-for: 198.51.100.1", fromProxy.Body.Split('\n'));
        Assert.Contains("x-forwarded-for: 203.0.113.9", spoofed.Body.Split('\n'));
    }
}
