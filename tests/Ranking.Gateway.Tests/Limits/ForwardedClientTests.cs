using System.Net;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Limits;

/// <summary>
/// Whose budget a request is counted against: the connection's address, or the client a known proxy names in
/// <c>X-Forwarded-For</c>; never a client an unknown address claims to forward. Each client's budget is one request.
/// </summary>
public sealed class ForwardedClientTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const string Proxy = "10.0.0.1";
    private const string Stranger = "203.0.113.5";

    public Task InitializeAsync() => database.SeedAsync("g1", 3);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Through_a_known_proxy_each_forwarded_client_has_its_own_budget()
    {
        await using var host = Host(("KnownProxies:0", Proxy));
        using var client = host.CreateClient();

        var first = await client.GetAsync("/ranking/g1", Proxy, forwardedFor: "198.51.100.1");
        var again = await client.GetAsync("/ranking/g1", Proxy, forwardedFor: "198.51.100.1");
        var other = await client.GetAsync("/ranking/g1", Proxy, forwardedFor: "198.51.100.2");
        var proxyItself = await client.GetAsync("/ranking/g1", Proxy);

        Assert.Equal(
            (HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.OK, HttpStatusCode.OK),
            (first.Status, again.Status, other.Status, proxyItself.Status));
    }

    [Fact]
    public async Task Proxies_in_a_known_network_are_trusted_and_one_client_through_two_of_them_is_one_client()
    {
        await using var host = Host(("KnownNetworks:0", "10.8.0.0/16"), ("KnownNetworks:1", "2001:db8:aa::/48"));
        using var client = host.CreateClient();

        var first = await client.GetAsync("/ranking/g1", "10.8.3.4", forwardedFor: "198.51.100.3");
        var viaAnother = await client.GetAsync("/ranking/g1", "2001:db8:aa:1::7", forwardedFor: "198.51.100.3");
        var other = await client.GetAsync("/ranking/g1", "10.8.9.9", forwardedFor: "198.51.100.4");

        Assert.Equal(
            (HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.OK),
            (first.Status, viaAnother.Status, other.Status));
    }

    [Fact]
    public async Task A_spoofed_X_Forwarded_For_from_an_unknown_address_is_ignored()
    {
        await using var host = Host(("KnownProxies:0", Proxy));
        using var client = host.CreateClient();

        var first = await client.GetAsync("/ranking/g1", Stranger, forwardedFor: "198.51.100.5");
        var otherClaim = await client.GetAsync("/ranking/g1", Stranger, forwardedFor: "198.51.100.6");
        var noClaim = await client.GetAsync("/ranking/g1", Stranger);
        // The address the stranger claimed was not charged.
        var claimedClient = await client.GetAsync("/ranking/g1", Proxy, forwardedFor: "198.51.100.5");

        Assert.Equal(
            (HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.OK),
            (first.Status, otherClaim.Status, noClaim.Status, claimedClient.Status));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Loopback_is_not_trusted_unless_configured(string loopback)
    {
        await using var host = Host(("KnownProxies:0", Proxy));
        using var client = host.CreateClient();

        var first = await client.GetAsync("/ranking/g1", loopback, forwardedFor: "198.51.100.7");
        var otherClaim = await client.GetAsync("/ranking/g1", loopback, forwardedFor: "198.51.100.8");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.TooManyRequests), (first.Status, otherClaim.Status));
    }

    [Fact]
    public async Task Without_known_proxies_X_Forwarded_For_is_never_read()
    {
        await using var host = Host();
        using var client = host.CreateClient();

        var first = await client.GetAsync("/ranking/g1", Proxy, forwardedFor: "198.51.100.9");
        var otherClaim = await client.GetAsync("/ranking/g1", Proxy, forwardedFor: "198.51.100.10");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.TooManyRequests), (first.Status, otherClaim.Status));
    }

    [Fact]
    public async Task A_chain_of_known_proxies_is_followed_up_to_ForwardLimit_and_stops_at_the_first_unknown_hop()
    {
        await using var host = Host(("KnownProxies:0", Proxy), ("KnownProxies:1", "10.0.0.2"), ("ForwardLimit", "2"));
        using var client = host.CreateClient();

        // Client → 10.0.0.2 → 10.0.0.1 → gateway: the client is the entry before the inner proxy's.
        var chained = await client.GetAsync("/ranking/g1", Proxy, forwardedFor: "198.51.100.11, 10.0.0.2");
        var sameClientDirect = await client.GetAsync("/ranking/g1", Proxy, forwardedFor: "198.51.100.11");
        // A client that prepends its own entry is read no further than its own address, the first unknown hop.
        var prepended = await client.GetAsync("/ranking/g1", Proxy, forwardedFor: "198.51.100.12, " + Stranger);
        var strangerDirect = await client.GetAsync("/ranking/g1", Stranger);
        var prependedClaim = await client.GetAsync("/ranking/g1", Proxy, forwardedFor: "198.51.100.12");

        Assert.Equal(
            (HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.OK),
            (chained.Status, sameClientDirect.Status, prepended.Status, strangerDirect.Status, prependedClaim.Status));
    }

    private GatewayHost Host(params (string Key, string Value)[] forwarded) =>
        LimitedHosts.Create(database, LimitedHosts.Limits(ranking: 1, forwarded.ToDictionary(f => $"ForwardedHeaders:{f.Key}", f => (string?)f.Value)));
}
