using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;
using Ranking.Gateway.Tests.Proxy;

namespace Ranking.Gateway.Tests.Admin;

/// <summary>
/// <c>POST /_admin/purge</c> on two gateway instances sharing Redis and PostgreSQL: by group, by tag (an upstream's
/// <c>Surrogate-Key</c>, a route's static tags), soft and hard; a fill that began before a tag purge cannot store over it;
/// the refreshes a soft purge causes go through the bulkhead; bad input and a Redis outage change nothing. L1 is kept
/// 50 s, so an instance that stops serving its in-process copy was told to drop it.
/// </summary>
public sealed class PurgeTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
    private readonly UpstreamServer _upstream = new();
    private readonly string _prefix = RealServices.NewKeyPrefix();
    private readonly List<GatewayHost> _hosts = [];

    public async Task InitializeAsync()
    {
        await _upstream.StartAsync();
        foreach (var name in new[] { "a", "b", "c", "race" })
        {
            // Tagged by the upstream: a and b are season-1's, c season-2's.
            _upstream.Script(name, (context, count) =>
            {
                context.Response.Headers["Surrogate-Key"] = name is "c" ? "season-2" : $"season-1 board-{name}";
                return context.Response.WriteAsJsonAsync(new { name, count });
            });
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await _upstream.DisposeAsync();
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task A_soft_purge_of_a_group_serves_it_stale_everywhere_until_one_refresh_brings_the_new_ranking()
    {
        var (a, b) = StartPair();
        await database.SeedAsync("soft", 5);
        var queries = await database.OriginQueriesAsync();
        Assert.Equal(["MISS", "FRESH"], [(await a.Client.GetAnswerAsync("/ranking/soft")).CacheStatus, (await b.Client.GetAnswerAsync("/ranking/soft")).CacheStatus]);
        await database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000 WHERE group_id = 'soft' AND user_id = 'u5'");

        // B's background refresh of the purged group is held after its query, so the reads below see the purge alone.
        b.Host.Faults.Close();
        RealTimePasses();
        var purged = await Purge(b.Client, "{\"groups\": [\"soft\"]}");
        Assert.Equal((HttpStatusCode.OK, 1, true, 1), (purged.Status, Affected(purged), purged.Json.GetProperty("soft").GetBoolean(), purged.Json.GetProperty("refreshing").GetInt32()));
        await Eventually.Until(() => b.Host.Faults.Waiting == 1, "B's paced refresh under way");

        foreach (var client in new[] { b.Client, a.Client })
        {
            var stale = await Heard(client, "/ranking/soft", "STALE");
            Assert.Equal("u1", stale.UserIds[0]);
            Assert.Contains("max-age=0", stale.Header("Cache-Control"), StringComparison.Ordinal);
        }

        b.Host.Faults.Open();
        foreach (var client in new[] { a.Client, b.Client })
        {
            await Eventually.Until(() => client.GetAnswerAsync("/ranking/soft"), r => r.CacheStatus == "FRESH" && r.UserIds[0] == "u5", "the new ranking, FRESH");
        }

        // The first read's query and the one refresh: A's STALE read found B's refresh under way and waited for it.
        Assert.Equal(queries + 2, await database.OriginQueriesAsync());
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task A_hard_purge_makes_the_next_read_anywhere_a_miss()
    {
        var (a, b) = StartPair();
        await database.SeedAsync("hard", 5);
        await a.Client.GetAnswerAsync("/ranking/hard");
        Assert.Equal("FRESH", (await b.Client.GetAnswerAsync("/ranking/hard")).CacheStatus);

        var purged = await Purge(b.Client, "{\"groups\": [\"hard\", \"never-read\"], \"soft\": false}");

        Assert.Equal((HttpStatusCode.OK, 1, false), (purged.Status, Affected(purged), purged.Json.GetProperty("soft").GetBoolean()));
        await Heard(a.Client, "/ranking/hard", "MISS");
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task A_tag_purge_reaches_every_entry_with_the_tag_on_both_instances_and_no_other()
    {
        var (a, b) = StartPair();
        foreach (var name in new[] { "a", "b", "c" })
        {
            var miss = await a.Client.GetAnswerAsync($"/api/scripted/{name}");
            Assert.Equal("MISS", miss.CacheStatus);
            Assert.Null(miss.Header("Surrogate-Key")); // kept as the entry's tags, not sent downstream by default
            Assert.Equal("FRESH", (await b.Client.GetAnswerAsync($"/api/scripted/{name}")).CacheStatus);
        }

        var purged = await Purge(a.Client, "{\"tags\": [\"season-1\", \"no-such-tag\"], \"soft\": false}");
        var unknown = await Purge(a.Client, "{\"tags\": [\"no-such-tag\"]}");

        Assert.Equal((2, 0), (Affected(purged), Affected(unknown)));
        await Heard(b.Client, "/api/scripted/a", "MISS");
        await Heard(b.Client, "/api/scripted/b", "MISS");
        Assert.Equal("FRESH", (await b.Client.GetAnswerAsync("/api/scripted/c")).CacheStatus);
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task Ranking_entries_take_tags_from_sql_and_a_tag_purge_reaches_every_group_that_has_it()
    {
        var (a, b) = StartPair(
            ("Ranking:TagsSql", "SELECT 'region-' || left(@group, 3)"),
            ("Ranking:BatchTagsSql", "SELECT g, 'region-' || left(g, 3) FROM unnest(@groups::text[]) AS g"));
        foreach (var group in new[] { "krA1", "krA2", "usA1" })
        {
            await database.SeedAsync(group, 3);
            Assert.Equal("MISS", (await a.Client.GetAnswerAsync($"/ranking/{group}")).CacheStatus);
        }

        var state = await b.Client.StateAsync("/_admin/ranking/krA1");
        var purged = await Purge(b.Client, "{\"tags\": [\"region-krA\"], \"soft\": false}");

        Assert.Equal(["region-krA"], state.Json.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(2, Affected(purged));
        await Heard(a.Client, "/ranking/krA1", "MISS");
        await Heard(a.Client, "/ranking/krA2", "MISS");
        Assert.Equal("FRESH", (await a.Client.GetAnswerAsync("/ranking/usA1")).CacheStatus);
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task A_soft_tag_purge_serves_the_tagged_entries_stale_and_one_read_refreshes_each()
    {
        var (a, b) = StartPair();
        await a.Client.GetAnswerAsync("/api/scripted/a");
        await a.Client.GetAnswerAsync("/api/scripted/c");

        RealTimePasses();
        Assert.Equal(1, Affected(await Purge(b.Client, "{\"tags\": [\"board-a\"]}")));

        var stale = await Heard(a.Client, "/api/scripted/a", "STALE");
        Assert.Equal(1, stale.Json.GetProperty("count").GetInt32());
        Assert.Equal("FRESH", (await b.Client.GetAnswerAsync("/api/scripted/c")).CacheStatus);
        await Eventually.Until(() => b.Client.GetAnswerAsync("/api/scripted/a"), r => r.CacheStatus == "FRESH" && r.Json.GetProperty("count").GetInt32() == 2, "the refreshed answer");
        Assert.Equal(2, _upstream.Requests("scripted:a"));
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task A_fill_that_began_before_a_purge_of_its_tag_does_not_store_its_answer()
    {
        var (a, b) = StartPair();

        // A's fill reaches the upstream and is held there; its answer will carry the tag board-race.
        _upstream.Close();
        var read = a.Client.GetAnswerAsync("/api/scripted/race");
        await Eventually.Until(() => _upstream.Waiting == 1, "the fill held at the upstream");

        // The tag is purged while no entry carries it yet: nothing to purge, but the purge is recorded.
        Assert.Equal(0, Affected(await Purge(b.Client, "{\"tags\": [\"board-race\"]}")));
        _upstream.Open();
        var first = await read;

        // The held fill's answer went to its reader but was not stored: the next read fetches again.
        Assert.Equal(("MISS", 1), (first.CacheStatus, first.Json.GetProperty("count").GetInt32()));
        Assert.DoesNotContain("stored", first.Header("Cache-Status"), StringComparison.Ordinal);
        var next = await b.Client.GetAnswerAsync("/api/scripted/race");
        Assert.Equal(("MISS", 2), (next.CacheStatus, next.Json.GetProperty("count").GetInt32()));
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task The_refreshes_a_soft_purge_of_many_groups_causes_go_through_the_bulkhead_one_per_group()
    {
        var (a, b) = StartPair(("Gateway:Policies:ranking:MaxConcurrentFetches", "2"));
        var groups = Enumerable.Range(1, 12).Select(i => $"many{i}").ToArray();
        foreach (var group in groups)
        {
            await database.SeedAsync(group, 3);
            await a.Client.GetAnswerAsync($"/ranking/{group}");
        }

        await database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000 WHERE group_id LIKE 'many%' AND user_id = 'u3'");
        b.Host.Faults.Close();
        RealTimePasses();
        var purged = await Purge(b.Client, $"{{\"groups\": [{string.Join(", ", groups.Select(g => $"\"{g}\""))}]}}");
        Assert.Equal((12, 12), (Affected(purged), purged.Json.GetProperty("refreshing").GetInt32()));

        // Two at a time, however many were purged: the rest wait their turn.
        await Eventually.Until(() => b.Host.Faults.Waiting == 2, "the bulkhead full");
        Assert.Equal(2, b.Host.Faults.Calls);
        b.Host.Faults.Open();

        foreach (var group in groups)
        {
            await Eventually.Until(() => a.Client.GetAnswerAsync($"/ranking/{group}"), r => r.CacheStatus == "FRESH" && r.UserIds[0] == "u3", $"{group} refreshed");
        }

        // One refresh a group, all B's: A's reads of the purged groups found B's refresh under way and waited for it.
        Assert.Equal((12, 12), (a.Host.Faults.Calls, b.Host.Faults.Calls));
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task Answers_tell_a_cdn_their_remaining_freshness_and_tags_only_when_the_policy_says_so()
    {
        var (plain, _) = StartPair();
        var (cdn, _) = StartPair(
            ("Gateway:Policies:ranking:DownstreamCacheControl", "CDN-Cache-Control"),
            ("Gateway:Policies:ranking:SendTags", "true"),
            ("Gateway:Policies:upstream:SendTags", "true"),
            ("ReverseProxy:Routes:cached:Metadata:CacheTags", "api, static-tag"));
        await database.SeedAsync("cdn", 5);

        var quiet = await plain.Client.GetAnswerAsync("/ranking/cdn");
        var miss = await cdn.Client.GetAnswerAsync("/ranking/cdn");
        _time.Advance(TimeSpan.FromSeconds(20.5));
        var fresh = await cdn.Client.GetAnswerAsync("/ranking/cdn");
        _time.Advance(TimeSpan.FromSeconds(40));
        var stale = await cdn.Client.GetAnswerAsync("/ranking/cdn");
        var route = await cdn.Client.GetAnswerAsync("/api/scripted/b");

        Assert.Equal((null, null), (quiet.Header("CDN-Cache-Control"), quiet.Header("Surrogate-Key")));
        Assert.Equal(("max-age=60", "cdn"), (miss.Header("CDN-Cache-Control"), miss.Header("Surrogate-Key")));
        Assert.Equal(("FRESH", "max-age=39"), (fresh.CacheStatus, fresh.Header("CDN-Cache-Control")));
        Assert.Equal(("STALE", "max-age=0"), (stale.CacheStatus, stale.Header("CDN-Cache-Control")));
        Assert.Equal("season-1 board-b api static-tag", route.Header("Surrogate-Key"));
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task Bad_purges_are_answered_with_a_problem_and_change_nothing()
    {
        var (a, _) = StartPair();
        await database.SeedAsync("kept", 5);
        await a.Client.GetAnswerAsync("/ranking/kept");
        var tooMany = $"{{\"groups\": [{string.Join(", ", Enumerable.Range(0, 1001).Select(i => $"\"kept{i}\""))}]}}";

        ProblemAssert.IsProblem(await Purge(a.Client, "{\"groups\": [\"kept\""), HttpStatusCode.BadRequest, "Bad Request");
        ProblemAssert.IsProblem(await Purge(a.Client, "{}"), HttpStatusCode.BadRequest, "Invalid purge");
        ProblemAssert.IsProblem(await Purge(a.Client, "{\"groups\": [\"kept\", null]}"), HttpStatusCode.BadRequest, "Invalid purge");
        ProblemAssert.IsProblem(await Purge(a.Client, "{\"groups\": [\"kept\", \"../x\"]}"), HttpStatusCode.BadRequest, "Invalid group id");
        ProblemAssert.IsProblem(await Purge(a.Client, "{\"groups\": [\"kept\"], \"tags\": [\"a,b\"]}"), HttpStatusCode.BadRequest, "Invalid tag");
        ProblemAssert.IsProblem(await Purge(a.Client, "{\"keys\": [\"\"], \"groups\": [\"kept\"]}"), HttpStatusCode.BadRequest, "Invalid key");
        ProblemAssert.IsProblem(await Purge(a.Client, tooMany), HttpStatusCode.BadRequest, "Invalid purge");
        ProblemAssert.IsProblem(await Purge(a.Client, "{\"groups\": [\"kept\"]}", authorization: null), HttpStatusCode.Unauthorized, "Unauthorized");

        Assert.Equal("FRESH", (await a.Client.GetAnswerAsync("/ranking/kept")).CacheStatus);
    }

    [Fact]
    public async Task A_purge_while_redis_is_unreachable_is_a_503_and_every_instance_keeps_its_copy()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        var (a, _) = StartPair(redis: redis.ConnectionString);
        await database.SeedAsync("outage", 5);
        await a.Client.GetAnswerAsync("/ranking/outage");
        await redis.StopAsync();

        var purged = await Purge(a.Client, "{\"groups\": [\"outage\"], \"soft\": false}");

        ProblemAssert.IsProblem(purged, HttpStatusCode.ServiceUnavailable, "Redis unavailable");
        Assert.Equal("FRESH", (await a.Client.GetAnswerAsync("/ranking/outage")).CacheStatus);
    }

    private ((GatewayHost Host, HttpClient Client) A, (GatewayHost Host, HttpClient Client) B) StartPair(params (string Key, string Value)[] more) =>
        StartPair(null, more);

    private ((GatewayHost Host, HttpClient Client) A, (GatewayHost Host, HttpClient Client) B) StartPair(string? redis, params (string Key, string Value)[] more)
    {
        var settings = GatewayHost.Policy();
        foreach (var (key, value) in ProxyHosts.Settings(_upstream))
        {
            settings[key] = value;
        }

        settings["Gateway:Policies:ranking:L1"] = "00:00:50";
        settings["Gateway:Policies:upstream:L1"] = "00:00:50";
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        var pair = Enumerable.Range(0, 2).Select(_ =>
        {
            var host = new GatewayHost(database, _prefix + (redis is null ? "" : "own:") + more.Length, _time, AdminCalls.On(new(settings)), redis);
            _hosts.Add(host);
            return (host, host.CreateClient());
        }).ToArray();
        return (pair[0], pair[1]);
    }

    private static Task<Answer> Purge(HttpClient client, string json, string? authorization = AdminCalls.Bearer)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/_admin/purge") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return client.SendAnswerAsync(request);
    }

    // A fetch that begins in a purge's own millisecond is refused (it may have read the origin before the purge); on the
    // test's clock, which stands still, a refresh the purge starts would begin in it. From here on every reading of the
    // clock moves it on a millisecond, as real time would.
    /// <summary>
    /// Reads until the instance answers with <paramref name="status"/>: another instance drops its in-process copy when it
    /// hears the purge's announcement, a moment after the purge answered (on Redis Cluster it crosses the cluster bus).
    /// L1 is kept 50 s, so an answer within the wait was caused by the announcement; reads served from L1 before it change
    /// nothing.
    /// </summary>
    private static Task<Answer> Heard(HttpClient client, string path, string status) =>
        Eventually.Until(() => client.GetAnswerAsync(path), r => r.CacheStatus == status, $"{path} {status} after the purge", TimeSpan.FromSeconds(5));

    private void RealTimePasses() => _time.AutoAdvanceAmount = TimeSpan.FromMilliseconds(1);

    private static int Affected(Answer answer) => answer.Json.GetProperty("affected").GetInt32();
}
