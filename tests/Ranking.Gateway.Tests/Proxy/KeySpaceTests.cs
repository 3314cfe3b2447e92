using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Proxy;

/// <summary>
/// What a cached route keys on and what its fills carry of the client's request, and how many keys a client can make:
/// every parameter or only the listed ones, unlisted ones stripped or bypassed, headers forwarded without keying, and
/// admission after a number of uses.
/// </summary>
public sealed class KeySpaceTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const string Policy = "Gateway:Policies:upstream";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly UpstreamServer _upstream = new();
    private readonly List<GatewayHost> _hosts = [];
    private readonly string _prefix = RealServices.NewKeyPrefix();

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
    public async Task With_every_parameter_keyed_their_order_does_not_matter_and_each_reaches_the_upstream()
    {
        var client = Start((Policy + ":QueryKeys:0", "*"));

        var first = await client.GetAnswerAsync("/api/items/q?b=2&a=1&page=3");
        var reordered = await client.GetAnswerAsync("/api/items/q?page=3&a=1&b=2");
        var other = await client.GetAnswerAsync("/api/items/q?page=3&a=1&b=9");

        Assert.Equal(["MISS", "FRESH", "MISS"], new[] { first, reordered, other }.Select(a => a.CacheStatus));
        Assert.Equal(["?a=1&b=2&page=3", "?a=1&b=9&page=3"], _upstream.Queries);
    }

    [Fact]
    public async Task With_unlisted_parameters_bypassed_such_a_read_goes_to_the_upstream_as_it_came()
    {
        var client = Start((Policy + ":UnlistedQuery", "Bypass"));

        var listed = await client.GetAnswerAsync("/api/items/b?page=2");
        var unlisted = await client.GetAnswerAsync("/api/items/b?page=2&offset=40");
        var again = await client.GetAnswerAsync("/api/items/b?page=2&offset=40");

        Assert.Equal(["MISS", "", ""], new[] { listed, unlisted, again }.Select(a => a.CacheStatus));
        Assert.Equal(["?page=2", "?page=2&offset=40", "?page=2&offset=40"], _upstream.Queries);
    }

    [Fact]
    public async Task Forwarded_headers_reach_the_upstream_on_fills_without_making_keys()
    {
        _upstream.Script("tenant", (c, n) => UpstreamHeadersTests.Text(c, $"answer {n}", ("Cache-Control", "max-age=60")));
        var client = Start((Policy + ":ForwardRequestHeaders:0", "X-Trace"));

        var first = await Send(client, "/api/scripted/tenant", ("X-Trace", "t-1"), ("X-Other", "o"));
        var second = await Send(client, "/api/scripted/tenant", ("X-Trace", "t-2"));

        Assert.Equal(("MISS", "FRESH", "answer 1"), (first.CacheStatus, second.CacheStatus, second.Body));
        var received = Assert.Single(_upstream.ScriptedFor("tenant"));
        Assert.Equal(("t-1", null), (received.Header("X-Trace"), received.Header("X-Other")));
    }

    [Fact]
    public async Task With_min_uses_a_key_is_stored_only_once_it_was_asked_that_often_across_instances()
    {
        var settings = new[] { (Policy + ":MinUses", "3"), (Policy + ":MinUsesWindow", "00:01:00") };
        var clients = new[] { Start(settings), Start(settings) };

        var answers = new List<Answer>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add(await clients[i % 2].GetAnswerAsync("/api/items/rare"));
        }

        Assert.Equal(["MISS", "MISS", "MISS", "FRESH", "FRESH"], answers.Select(a => a.CacheStatus));
        Assert.Equal(
            ["Ranking.Gateway; fwd=miss", "Ranking.Gateway; fwd=miss", "Ranking.Gateway; fwd=miss; stored"],
            answers.Take(3).Select(a => a.Header("Cache-Status")));
        Assert.Equal(3, _upstream.Requests("items"));
    }

    private HttpClient Start(params (string Key, string Value)[] settings)
    {
        // Hosts of one test share a key prefix: instances of one fleet.
        var extra = settings.ToDictionary(s => s.Key, s => (string?)s.Value);
        var host = ProxyHosts.Create(database, _prefix, _time, _upstream, extra);
        _hosts.Add(host);
        return host.CreateClient();
    }

    private static Task<Answer> Send(HttpClient client, string path, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return client.SendAnswerAsync(request);
    }
}
