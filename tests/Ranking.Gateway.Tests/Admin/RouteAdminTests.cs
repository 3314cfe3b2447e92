using System.Net;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;
using Ranking.Gateway.Tests.Proxy;

namespace Ranking.Gateway.Tests.Admin;

/// <summary>
/// <c>/_admin/routes/{routeId}/{**path}</c> on two gateway instances in front of an existing service: the entry a client's
/// read makes, found by the same key (the policy's query parameters and vary headers taken from the admin call), purged
/// everywhere and refreshed through the route.
/// </summary>
public sealed class RouteAdminTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private static readonly (string, string) Korean = ("Accept-Language", "ko");

    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
    private readonly UpstreamServer _upstream = new();
    private readonly string _prefix = RealServices.NewKeyPrefix();
    private readonly List<GatewayHost> _hosts = [];

    public Task InitializeAsync() => _upstream.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task The_state_of_a_routes_entry_is_found_by_the_key_a_clients_read_makes()
    {
        var (a, b) = StartPair(ProxyHosts.Settings(_upstream));
        var read = await a.SendAnswerAsync(Read("/api/items/x?page=2&rand=1", Korean));

        var state = await b.StateAsync("/_admin/routes/cached/api/items/x?page=2&other=9", Korean);
        var otherLanguage = await b.StateAsync("/_admin/routes/cached/api/items/x?page=2", ("Accept-Language", "en"));
        var otherPage = await b.StateAsync("/_admin/routes/cached/api/items/x?page=3", Korean);

        Assert.Equal("MISS", read.CacheStatus);
        Assert.Equal((HttpStatusCode.OK, "FRESH", 200), (state.Status, state.Status(), state.Json.GetProperty("statusCode").GetInt32()));
        Assert.StartsWith("proxy:cached:http://localhost/api/items/x?page=2#", state.Json.GetProperty("key").GetString(), StringComparison.Ordinal);
        Assert.Equal(read.Body.Length, state.Json.GetProperty("bytes").GetInt32());
        Assert.Equal(_time.GetUtcNow(), state.Time("generatedAt"));
        Assert.Equal(["ABSENT", "ABSENT"], [otherLanguage.Status(), otherPage.Status()]);
    }

    [Fact]
    public async Task Refresh_fetches_once_through_the_route_and_both_instances_serve_the_new_answer()
    {
        var (a, b) = StartPair(ProxyHosts.Settings(_upstream));
        Assert.Equal(["MISS", "FRESH"], [(await a.SendAnswerAsync(Read("/api/items/r?page=1", Korean))).CacheStatus, (await b.SendAnswerAsync(Read("/api/items/r?page=1", Korean))).CacheStatus]);
        _upstream.NextVersion();
        _time.Advance(TimeSpan.FromSeconds(5));

        var refreshed = await b.AdminAsync(HttpMethod.Post, "/_admin/routes/cached/api/items/r/refresh?page=1&rand=2", AdminCalls.Bearer, Korean);

        Assert.Equal((HttpStatusCode.OK, "FRESH", "refreshed"), (refreshed.Status, refreshed.Status(), refreshed.Json.GetProperty("refresh").GetString()));
        Assert.Equal(_time.GetUtcNow(), refreshed.Time("generatedAt"));
        Assert.Equal(2, _upstream.Requests("items"));
        Assert.Equal(["?page=1", "?page=1"], _upstream.Queries);
        foreach (var client in new[] { a, b })
        {
            var fresh = await Eventually.Until(() => client.SendAnswerAsync(Read("/api/items/r?page=1", Korean)), r => r.Json.GetProperty("version").GetInt32() == 2, "the new answer on each instance");
            Assert.Equal("FRESH", fresh.CacheStatus);
        }

        Assert.Equal(2, _upstream.Requests("items"));
    }

    [Fact]
    public async Task A_refresh_is_the_request_a_clients_read_sends_through_the_routes_transforms_without_the_admin_key()
    {
        var (a, b) = StartPair(ProxyHosts.Routes(["PathPattern=/echo/pattern/{**rest}", "RequestHeader=X-Api-Key|Set=secret"], cluster: [("Destinations:d1:Address", _upstream.Address)]));
        var miss = await a.SendAnswerAsync(Read("/cached/some/where?page=3", Korean));
        _time.Advance(TimeSpan.FromSeconds(5));

        var refreshed = await b.AdminAsync(HttpMethod.Post, "/_admin/routes/cached/cached/some/where/refresh?page=3", AdminCalls.Bearer, Korean);

        Assert.Equal(("MISS", HttpStatusCode.OK), (miss.CacheStatus, refreshed.Status));
        Assert.Equal(2, _upstream.Requests("echo"));
        Assert.True(_upstream.Echoed.TryPeek(out var sent));
        Assert.StartsWith("GET /echo/pattern/some/where?page=3\n", sent, StringComparison.Ordinal);
        Assert.Equal(miss.Body, sent);
        Assert.DoesNotContain(AdminCalls.Key, sent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_purges_a_routes_entry_from_Redis_and_both_instances()
    {
        var (a, b) = StartPair(ProxyHosts.Settings(_upstream));
        Assert.Equal(["MISS", "FRESH"], [(await a.GetAnswerAsync("/api/items/d")).CacheStatus, (await b.GetAnswerAsync("/api/items/d")).CacheStatus]);
        _upstream.NextVersion();

        var deleted = await a.AdminAsync(HttpMethod.Delete, "/_admin/routes/cached/api/items/d");
        // A fetch that began in the purge's very millisecond may have read before it, and may not store: time moves on.
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal((HttpStatusCode.OK, "ABSENT"), (deleted.Status, deleted.Status()));
        var missed = await Eventually.Until(() => b.GetAnswerAsync("/api/items/d"), r => r.CacheStatus != "FRESH", "the other instance to drop its copy");
        Assert.Equal(("MISS", 2), (missed.CacheStatus, missed.Json.GetProperty("version").GetInt32()));
        var again = await a.GetAnswerAsync("/api/items/d");
        Assert.Equal(("FRESH", 2), (again.CacheStatus, again.Json.GetProperty("version").GetInt32()));
    }

    [Fact]
    public async Task Refresh_with_the_upstream_failing_is_502_and_keeps_the_entry()
    {
        var (a, _) = StartPair(ProxyHosts.Settings(_upstream));
        await a.GetAnswerAsync("/api/items/f");
        var kept = await a.StateAsync("/_admin/routes/cached/api/items/f");
        _time.Advance(TimeSpan.FromSeconds(5));
        _upstream.Fail = true;

        var failed = await a.AdminAsync(HttpMethod.Post, "/_admin/routes/cached/api/items/f/refresh");

        ProblemAssert.IsProblem(failed, HttpStatusCode.BadGateway, "Origin failed");
        Assert.Equal(kept.Time("generatedAt"), (await a.StateAsync("/_admin/routes/cached/api/items/f")).Time("generatedAt"));
    }

    [Theory]
    [InlineData("GET", "/_admin/routes/nope/api/items/x", HttpStatusCode.NotFound, "Unknown route")]
    [InlineData("POST", "/_admin/routes/nope/api/items/x/refresh", HttpStatusCode.NotFound, "Unknown route")]
    [InlineData("DELETE", "/_admin/routes/plain/plain/x", HttpStatusCode.BadRequest, "Route not cached")]
    [InlineData("POST", "/_admin/routes/plain/plain/x/refresh", HttpStatusCode.BadRequest, "Route not cached")]
    [InlineData("GET", "/_admin/routes/cached/elsewhere/x", HttpStatusCode.NotFound, "Path not on route")]
    [InlineData("POST", "/_admin/routes/cached/api/items/x", HttpStatusCode.NotFound, "Not Found")]
    public async Task Names_that_are_not_a_cached_entry_are_problems_and_change_nothing(string method, string path, HttpStatusCode status, string title)
    {
        var (a, _) = StartPair(ProxyHosts.Settings(_upstream));

        var answer = await a.AdminAsync(new HttpMethod(method), path);

        ProblemAssert.IsProblem(answer, status, title);
        Assert.Equal(0, _upstream.Requests("items") + _upstream.Requests("plain") + _upstream.Requests("fallback"));
    }

    private (HttpClient A, HttpClient B) StartPair(Dictionary<string, string?> settings)
    {
        // L1 outlives the test, so an instance that stops serving its copy was told to drop it.
        foreach (var policy in new[] { "upstream", "fills" }.Where(p => settings.ContainsKey($"Gateway:Policies:{p}:Fresh")))
        {
            settings[$"Gateway:Policies:{policy}:L1"] = "00:00:50";
        }

        var clients = new HttpClient[2];
        for (var i = 0; i < 2; i++)
        {
            var host = new GatewayHost(database, _prefix, _time, AdminCalls.On(new(settings)));
            _hosts.Add(host);
            clients[i] = host.CreateClient();
        }

        return (clients[0], clients[1]);
    }

    private static HttpRequestMessage Read(string path, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        return request;
    }
}
