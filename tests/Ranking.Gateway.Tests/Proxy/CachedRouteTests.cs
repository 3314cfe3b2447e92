using System.Net;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Ranking.Gateway.Tests.Proxy;

/// <summary>A route of an existing service cached by configuration alone, on two gateway instances.</summary>
public sealed class CachedRouteTests(TestDatabase database) : TwoInstancesTests(database)
{
    [Fact]
    public async Task Concurrent_reads_of_a_cold_route_reach_the_upstream_once()
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => Clients[i % 2].GetAnswerAsync("/api/items/cold")));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Single(answers.Select(a => a.Body).Distinct());
        Assert.Equal(1, Upstream.Requests("items"));
        Assert.Contains(answers, a => a.CacheStatus == "MISS");
        Assert.Equal("FRESH", (await Clients[1].GetAnswerAsync("/api/items/cold")).CacheStatus);
    }

    [Fact]
    public async Task An_answer_the_upstream_compressed_is_stored_and_served_as_it_came_whatever_the_client_accepts()
    {
        var miss = await Clients[0].GetAnswerAsync("/api/gzipped");
        using var askingForBrotli = new HttpRequestMessage(HttpMethod.Get, "/api/gzipped");
        askingForBrotli.Headers.AcceptEncoding.ParseAdd("br");
        var hit = await Clients[1].SendAnswerAsync(askingForBrotli);

        Assert.Equal(("MISS", "FRESH"), (miss.CacheStatus, hit.CacheStatus));
        foreach (var answer in new[] { miss, hit })
        {
            Assert.Equal(UpstreamServer.Gzipped, await answer.Message.Content.ReadAsByteArrayAsync());
            Assert.Equal(["gzip"], answer.Message.Content.Headers.ContentEncoding);
        }

        Assert.Equal(1, Upstream.Requests("gzipped"));
    }

    [Fact]
    public async Task A_stale_route_is_refreshed_once_in_the_background_while_clients_get_the_stale_copy()
    {
        var first = await Clients[0].GetAnswerAsync("/api/items/stale");
        Upstream.NextVersion();
        Time.Advance(TimeSpan.FromSeconds(61));
        Upstream.Close();

        var answers = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => Clients[i % 2].GetAnswerAsync("/api/items/stale")));

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.OK, "STALE", first.Body), (a.Status, a.CacheStatus, a.Body)));
        await Eventually.Until(() => Upstream.Waiting == 1, "the one refresh to reach the upstream");
        Upstream.Open();
        var fresh = await Eventually.Until(() => Clients[1].GetAnswerAsync("/api/items/stale"), a => a.CacheStatus == "FRESH", "the refreshed entry");
        Assert.Equal(2, fresh.Json.GetProperty("version").GetInt32());
        Assert.Equal(2, Upstream.Requests("items"));
    }

    [Fact]
    public async Task Query_parameters_outside_the_allow_list_neither_make_keys_nor_reach_the_upstream()
    {
        var answers = new[]
        {
            await Clients[0].GetAnswerAsync("/api/items/q?page=1&rand=a"),
            await Clients[1].GetAnswerAsync("/api/items/q?rand=b&page=1"),
            await Clients[0].GetAnswerAsync("/api/items/q?page=1&utm=x&_=123"),
        };

        Assert.Equal(["MISS", "FRESH", "FRESH"], answers.Select(a => a.CacheStatus));
        Assert.Equal(1, Upstream.Requests("items"));
        Assert.Equal(["?page=1"], Upstream.Queries);
        Assert.Equal("MISS", (await Clients[0].GetAnswerAsync("/api/items/q?page=2&rand=c")).CacheStatus);
        Assert.Equal(2, await EntryKeysAsync("proxy:cached:http://localhost/api/items/q"));
    }

    [Theory]
    [InlineData("nostore")]
    [InlineData("private")]
    [InlineData("cookie")]
    [InlineData("vary-cookie")]
    public async Task Answers_the_upstream_forbids_sharing_are_never_stored(string name)
    {
        var answers = new List<Answer>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await Clients[i % 2].GetAnswerAsync($"/api/{name}"));
        }

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.All(answers, a => Assert.NotEqual("FRESH", a.CacheStatus));
        // Each client got its own answer from the upstream.
        Assert.Equal(answers.Count, answers.Select(a => a.Body).Distinct().Count());
        Assert.Equal(0, await EntryKeysAsync($"proxy:cached:http://localhost/api/{name}"));
        if (name == "cookie")
        {
            Assert.Equal(3, answers.Select(a => a.Header("Set-Cookie")).Distinct().Count());
        }
    }

    [Fact]
    public async Task A_header_the_policy_varies_by_is_part_of_the_key()
    {
        async Task<Answer> Get(int client, string language)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/vary");
            request.Headers.Add("Accept-Language", language);
            return await Clients[client].SendAnswerAsync(request);
        }

        var ko = await Get(0, "ko");
        var en = await Get(1, "en");
        var koAgain = await Get(1, "ko");

        Assert.Equal(("hello in ko", "hello in en"), (ko.Body, en.Body));
        Assert.Equal(("MISS", "MISS", "FRESH"), (ko.CacheStatus, en.CacheStatus, koAgain.CacheStatus));
        Assert.Equal(ko.Body, koAgain.Body);
        Assert.Equal(2, Upstream.Requests("vary"));
    }

    [Fact]
    public async Task Requests_with_authorization_are_not_cached()
    {
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/secret");
            request.Headers.Add("Authorization", $"Bearer user{i}");
            var answer = await Clients[i % 2].SendAnswerAsync(request);
            Assert.Equal($"for Bearer user{i}", answer.Body);
        }

        Assert.Equal(3, Upstream.Requests("secret"));
        Assert.Equal(0, await EntryKeysAsync("proxy:cached:http://localhost/api/secret"));
    }

    [Fact]
    public async Task Upstream_down_serves_the_stale_copy_and_an_uncached_path_gets_502()
    {
        var cached = await Clients[0].GetAnswerAsync("/api/items/down");
        await Upstream.StopAsync();
        Time.Advance(TimeSpan.FromSeconds(61));

        var stale = await Clients[1].GetAnswerAsync("/api/items/down");
        Assert.Equal((HttpStatusCode.OK, "STALE", cached.Body), (stale.Status, stale.CacheStatus, stale.Body));

        // Past the stale window: still served within stale-if-error.
        Time.Advance(TimeSpan.FromMinutes(20));
        var standIn = await Clients[0].GetAnswerAsync("/api/items/down");
        Assert.Equal((HttpStatusCode.OK, "STALE", cached.Body), (standIn.Status, standIn.CacheStatus, standIn.Body));

        var unreachable = await Clients[0].GetAnswerAsync("/api/items/never-cached");
        Assert.Equal(HttpStatusCode.BadGateway, unreachable.Status);
        Assert.Equal("application/problem+json", unreachable.Message.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("Exception", unreachable.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upstream_5xx_goes_through_when_nothing_is_cached_and_is_never_stored()
    {
        Upstream.Fail = true;
        var failed = await Clients[0].GetAnswerAsync("/api/items/broken");
        Assert.Equal((HttpStatusCode.InternalServerError, "upstream broke"), (failed.Status, failed.Body));

        Upstream.Fail = false;
        var recovered = await Clients[1].GetAnswerAsync("/api/items/broken");
        Assert.Equal((HttpStatusCode.OK, "MISS"), (recovered.Status, recovered.CacheStatus));
    }

    private async Task<int> EntryKeysAsync(string keyStart)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RealServices.Redis);
        return (await RedisProbe.ScanAsync(redis, $"{Prefix}{{{keyStart}*:entry")).Length;
    }
}
