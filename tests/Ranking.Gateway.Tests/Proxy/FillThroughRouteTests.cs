using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;
using Yarp.ReverseProxy;

namespace Ranking.Gateway.Tests.Proxy;

/// <summary>
/// A cache fill is the request YARP would send for the route: its transforms, its cluster's load balancing and health.
/// Each test compares a cached route with the same route without a policy, in front of real upstream servers.
/// </summary>
public sealed class FillThroughRouteTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly UpstreamServer _one = new();
    private readonly UpstreamServer _two = new();
    private readonly List<GatewayHost> _hosts = [];

    public async Task InitializeAsync()
    {
        await _one.StartAsync();
        await _two.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await _one.DisposeAsync();
        await _two.DisposeAsync();
    }

    public static TheoryData<string, string[]> TransformFamilies => new()
    {
        { "path prefix removed", ["PathRemovePrefix=/{route}"] },
        { "path pattern", ["PathPattern=/echo/pattern/{**rest}"] },
        { "request header set and removed", ["PathRemovePrefix=/{route}", "RequestHeader=X-Api-Key|Set=secret", "RequestHeaderRemove=Accept-Language"] },
        { "query value added", ["PathRemovePrefix=/{route}", "QueryValueParameter=added|Append=yes"] },
        { "X-Forwarded on", ["PathRemovePrefix=/{route}", "X-Forwarded=Set"] },
        { "X-Forwarded off", ["PathRemovePrefix=/{route}", "X-Forwarded=Off"] },
    };

    [Theory]
    [MemberData(nameof(TransformFamilies))]
    public async Task The_upstream_sees_a_fill_exactly_as_the_same_route_without_a_policy(string family, string[] transforms)
    {
        var client = Start(ProxyHosts.Routes(transforms, cluster: Single()));

        var proxied = await Get(client, "/plain/echo/x?page=2");
        var missed = await Get(client, "/cached/echo/x?page=2");
        var fresh = await Get(client, "/cached/echo/x?page=2");

        Assert.Equal((HttpStatusCode.OK, "MISS", "FRESH"), (missed.Status, missed.CacheStatus, fresh.CacheStatus));
        Assert.True(proxied.Body == missed.Body, $"{family}: the upstream saw\n{missed.Body}\nfrom the fill, and\n{proxied.Body}\nthrough the plain route");
        Assert.Equal(2, _one.Requests("echo"));
    }

    [Theory]
    [InlineData("X-Forwarded-Host (YARP's default)", new[] { "PathRemovePrefix=/{route}" })]
    [InlineData("the original Host", new[] { "PathRemovePrefix=/{route}", "RequestHeaderOriginalHost=true" })]
    public async Task One_clients_host_never_shapes_the_answer_another_client_gets(string how, string[] transforms)
    {
        var client = Start(ProxyHosts.Routes(transforms, cluster: Single()));

        var poisoned = await Get(client, "http://evil.example/cached/echo/h?page=1");
        var plain = await Get(client, "/cached/echo/h?page=1");
        _time.Advance(TimeSpan.FromSeconds(61));
        await Get(client, "http://evil.example/cached/echo/h?page=1");
        await Eventually.Until(() => _one.Requests("echo") == 3, "the refresh the poisoning client started");
        var later = await Get(client, "/cached/echo/h?page=1");

        Assert.Contains("evil.example", poisoned.Body, StringComparison.Ordinal);
        Assert.True(plain.CacheStatus == "MISS", $"with {how} forwarded, a plain read after the poisoning one was {plain.CacheStatus}");
        Assert.All([plain, later], a => Assert.DoesNotContain("evil.example", a.Body, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_background_refresh_sends_what_the_key_holds_and_nothing_of_the_client_that_saw_it_stale()
    {
        var client = Start(ProxyHosts.Routes(["PathRemovePrefix=/{route}", "RequestHeader=X-Api-Key|Set=secret"], cluster: Single()));
        var miss = await Get(client, "/cached/echo/s?page=1");
        _time.Advance(TimeSpan.FromSeconds(61));

        // Whoever reads it stale brings other query parameters, headers and credentials of their own.
        using var nosy = new HttpRequestMessage(HttpMethod.Get, "/cached/echo/s?other=zzz&page=1");
        nosy.Headers.Add("Accept-Language", "ko");
        nosy.Headers.Add("X-Private", "mine");
        nosy.Headers.Add("Cookie", "session=abc");
        var stale = await client.SendAnswerAsync(nosy);
        Assert.Equal("STALE", stale.CacheStatus);
        await Eventually.Until(() => _one.Requests("echo") == 2, "the background refresh at the upstream");

        Assert.True(_one.Echoed.TryPeek(out var refreshed));
        Assert.Equal(miss.Body, refreshed);
    }

    [Fact]
    public async Task The_routes_response_transforms_apply_to_cached_answers()
    {
        var client = Start(ProxyHosts.Routes(["PathRemovePrefix=/{route}", "ResponseHeader=X-Transformed|Set=yes"], cluster: Single()));

        var answers = new[] { await Get(client, "/cached/echo/r"), await Get(client, "/cached/echo/r") };

        Assert.Equal(["MISS", "FRESH"], answers.Select(a => a.CacheStatus));
        Assert.All(answers, a => Assert.Equal("yes", a.Header("X-Transformed")));
        Assert.Equal("yes", (await Get(client, "/plain/echo/r")).Header("X-Transformed"));
    }

    [Fact]
    public async Task The_clusters_activity_timeout_bounds_a_fill()
    {
        // The policy would wait 30 s for the upstream; the cluster's own HttpRequest settings say 1 s.
        var client = Start(ProxyHosts.Routes(
            ["PathRemovePrefix=/{route}"],
            cluster: [("Destinations:d1:Address", _one.Address), ("HttpRequest:ActivityTimeout", "00:00:01")],
            ("OriginTimeout", "00:00:30"),
            ("LockExpiry", "00:00:31")));
        _one.Close();

        var answer = await client.GetAnswerAsync("/cached/api/items/slow").WaitAsync(TimeSpan.FromSeconds(15));
        _one.Open();

        Assert.Equal(HttpStatusCode.GatewayTimeout, answer.Status);
    }

    [Fact]
    public async Task Fills_follow_the_clusters_round_robin()
    {
        var client = Start(ProxyHosts.Routes(["PathRemovePrefix=/{route}"], cluster: Pair(("LoadBalancingPolicy", "RoundRobin"))));

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("MISS", (await Get(client, $"/cached/echo/rr{i}")).CacheStatus);
        }

        Assert.Equal((3, 3), (_one.Requests("echo"), _two.Requests("echo")));
    }

    [Fact]
    public async Task A_destination_health_checks_marked_unhealthy_gets_no_fills()
    {
        _two.Unhealthy = true;
        var cluster = Pair(
            ("LoadBalancingPolicy", "RoundRobin"),
            ("HealthCheck:Active:Enabled", "true"),
            ("HealthCheck:Active:Interval", "00:00:00.200"),
            ("HealthCheck:Active:Timeout", "00:00:01"),
            ("HealthCheck:Active:Policy", "ConsecutiveFailures"),
            ("HealthCheck:Active:Path", "/health"),
            ("Metadata:ConsecutiveFailuresHealthPolicy.Threshold", "1"));
        var host = StartHost(ProxyHosts.Routes(["PathRemovePrefix=/{route}"], cluster));
        var client = host.CreateClient();
        var proxy = host.Services.GetRequiredService<IProxyStateLookup>();
        await Eventually.Until(
            () => proxy.TryGetCluster("pair", out var c) && c.DestinationsState.AvailableDestinations.Count == 1,
            "the unhealthy destination taken out");

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("MISS", (await Get(client, $"/cached/echo/h{i}")).CacheStatus);
        }

        Assert.Equal((6, 0), (_one.Requests("echo"), _two.Requests("echo")));
    }

    [Fact]
    public async Task Failed_fills_feed_passive_health_which_then_keeps_fills_off_the_dead_destination()
    {
        // d2 accepts no connections. Nothing but cache fills reaches the cluster, so only they can tell YARP.
        var cluster = new (string Key, string Value)[]
        {
            ("Destinations:d1:Address", _one.Address),
            ("Destinations:d2:Address", "http://127.0.0.1:1/"),
            ("LoadBalancingPolicy", "RoundRobin"),
            ("HealthCheck:Passive:Enabled", "true"),
            ("HealthCheck:Passive:Policy", "TransportFailureRate"),
            ("HealthCheck:Passive:ReactivationPeriod", "00:05:00"),
            ("Metadata:TransportFailureRateHealthPolicy.RateLimit", "0.3"),
        };
        var host = StartHost(ProxyHosts.Routes(["PathRemovePrefix=/{route}"], cluster));
        var client = host.CreateClient();
        var proxy = host.Services.GetRequiredService<IProxyStateLookup>();

        await Eventually.Until(
            async () =>
            {
                await Get(client, $"/cached/echo/p{Guid.NewGuid():N}");
                return proxy.TryGetCluster("pair", out var c) ? c.DestinationsState.AvailableDestinations.Count : -1;
            },
            available => available == 1,
            "the dead destination taken out by passive health");

        var before = _one.Requests("echo");
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("MISS", (await Get(client, $"/cached/echo/after{i}")).CacheStatus);
        }

        Assert.Equal(before + 6, _one.Requests("echo"));
    }

    private HttpClient Start(Dictionary<string, string?> settings) => StartHost(settings).CreateClient();

    private GatewayHost StartHost(Dictionary<string, string?> settings)
    {
        var host = new GatewayHost(database, RealServices.NewKeyPrefix(), _time, settings);
        _hosts.Add(host);
        return host;
    }

    private static async Task<Answer> Get(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Accept-Language", "ko");
        return await client.SendAnswerAsync(request);
    }

    private (string Key, string Value)[] Single() => [("Destinations:d1:Address", _one.Address)];

    private (string Key, string Value)[] Pair(params (string Key, string Value)[] more) =>
        [("Destinations:d1:Address", _one.Address), ("Destinations:d2:Address", _two.Address), .. more];
}
