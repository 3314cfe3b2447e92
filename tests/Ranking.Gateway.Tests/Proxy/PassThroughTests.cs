using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Proxy;

/// <summary>What the cache leaves alone, and the configuration it refuses.</summary>
public sealed class PassThroughTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly UpstreamServer _upstream = new();

    public Task InitializeAsync() => _upstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task A_route_without_a_policy_is_proxied_untouched()
    {
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream);
        var client = host.CreateClient();

        for (var i = 1; i <= 2; i++)
        {
            var answer = await client.GetAnswerAsync("/plain/thing?x=1");
            Assert.Equal((HttpStatusCode.Accepted, "plain /plain/thing?x=1", ""), (answer.Status, answer.Body, answer.CacheStatus));
            Assert.Equal("plain", answer.Header("X-Upstream"));
            Assert.Equal(i, _upstream.Requests("plain"));
        }
    }

    [Fact]
    public async Task A_post_on_a_cached_route_is_forwarded_untouched()
    {
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream);
        var client = host.CreateClient();

        for (var i = 1; i <= 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/echo") { Content = new StringContent($"body {i}", Encoding.UTF8, "text/plain") };
            request.Headers.Add("X-Client", $"client {i}");
            var answer = await client.SendAnswerAsync(request);
            Assert.Equal((HttpStatusCode.Created, $"body {i}", $"client {i}", ""), (answer.Status, answer.Body, answer.Header("X-Echo"), answer.CacheStatus));
        }

        Assert.Equal(2, _upstream.Requests("echo"));
    }

    [Fact]
    public async Task A_catch_all_route_does_not_swallow_the_ranking_endpoint()
    {
        await database.SeedAsync("local", 2);
        var settings = new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:everything:ClusterId"] = "existing",
            ["ReverseProxy:Routes:everything:Match:Path"] = "{**rest}",
        };
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream, settings);
        var client = host.CreateClient();

        var ranking = await client.GetAnswerAsync("/ranking/local");
        var other = await client.GetAnswerAsync("/anything/else");

        Assert.Equal((HttpStatusCode.OK, "MISS"), (ranking.Status, ranking.CacheStatus));
        Assert.Equal(["u1", "u2"], ranking.UserIds);
        Assert.Equal((HttpStatusCode.OK, "fallback"), (other.Status, other.Body));
        Assert.Equal(0, _upstream.Requests("ranking"));
    }

    [Fact]
    public async Task The_ranking_endpoint_can_read_an_existing_ranking_service_instead_of_PostgreSQL()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ranking:Origin"] = "Upstream",
            ["Ranking:UpstreamCluster"] = "existing",
        };
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream, settings);
        var client = host.CreateClient();
        var before = await database.OriginQueriesAsync();

        var first = await client.GetAnswerAsync("/ranking/remote?limit=2");
        var second = await client.GetAnswerAsync("/ranking/remote");
        var missing = await client.GetAnswerAsync("/ranking/missing");

        Assert.Equal((HttpStatusCode.OK, "MISS"), (first.Status, first.CacheStatus));
        Assert.Equal(["remote1", "remote2"], first.UserIds);
        Assert.Equal(("FRESH", 3), (second.CacheStatus, second.UserIds.Length));

        // Age counts from when the ranking service says it produced the ranking (30 s before its answer, by its clock;
        // the test gateway's clock stands still since the class started), not from the gateway's fetch (0).
        Assert.InRange(int.Parse(first.Header("Age")!, System.Globalization.CultureInfo.InvariantCulture), 10, 40);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal(2, _upstream.Requests("ranking"));
        Assert.Equal(before, await database.OriginQueriesAsync());
    }

    [Fact]
    public async Task A_ranking_service_that_caches_its_answers_never_leaves_the_entry_stale_or_missing()
    {
        // The service's documents say they were generated 30 s before it answered: older, by the gateway's clock, than
        // the entry each refresh replaces.
        var settings = new Dictionary<string, string?>
        {
            ["Ranking:Origin"] = "Upstream",
            ["Ranking:UpstreamCluster"] = "existing",
        };
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream, settings);
        var client = host.CreateClient();
        await client.GetAnswerAsync("/ranking/cached");
        _time.Advance(TimeSpan.FromSeconds(71)); // past the default Fresh and its jitter

        Assert.Equal("STALE", (await client.GetAnswerAsync("/ranking/cached")).CacheStatus);
        await Eventually.Until(() => client.GetAnswerAsync("/ranking/cached"), a => a.CacheStatus == "FRESH", "the refreshed entry");
        var requests = _upstream.Requests("ranking");
        var later = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.GetAnswerAsync("/ranking/cached")));

        Assert.All(later, a => Assert.Equal("FRESH", a.CacheStatus));
        Assert.Equal(requests, _upstream.Requests("ranking"));
        Assert.InRange(int.Parse(later[0].Header("Age")!, System.Globalization.CultureInfo.InvariantCulture), 25, 100);
    }

    [Fact]
    public async Task A_ranking_document_without_generated_at_is_cached_like_any_other()
    {
        _upstream.Script("undated", (c, _) => c.Response.WriteAsJsonAsync(new { group = "undated", entries = new[] { new { rank = 1, userId = "u1", score = 9 } } }));
        var settings = new Dictionary<string, string?>
        {
            ["Ranking:Origin"] = "Upstream",
            ["Ranking:UpstreamCluster"] = "existing",
            ["Ranking:UpstreamPath"] = "/api/scripted/{group}",
        };
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream, settings);
        var client = host.CreateClient();

        var answers = new[] { await client.GetAnswerAsync("/ranking/undated"), await client.GetAnswerAsync("/ranking/undated") };

        Assert.Equal(["MISS", "FRESH"], answers.Select(a => a.CacheStatus));
        Assert.Equal("0", answers[1].Header("Age"));
        Assert.Equal(1, _upstream.Requests("scripted:undated"));
    }

    [Fact]
    public async Task A_route_naming_an_unknown_policy_stops_start_up_with_a_message_naming_the_route()
    {
        var settings = new Dictionary<string, string?> { ["ReverseProxy:Routes:cached:Metadata:CachePolicy"] = "no-such-policy" };
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream, settings);

        var error = Record.Exception(() => host.CreateClient());

        Assert.NotNull(error);
        var messages = string.Join(" | ", Chain(error));
        Assert.Contains("Route 'cached'", messages, StringComparison.Ordinal);
        Assert.Contains("no-such-policy", messages, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Chain(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            yield return error.Message;
            if (error is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain))
                {
                    yield return inner;
                }
            }
        }
    }
}
