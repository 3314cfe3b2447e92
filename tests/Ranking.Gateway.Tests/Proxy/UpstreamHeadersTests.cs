using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Ranking.Gateway.Tests.Proxy;

/// <summary>
/// A cached route in front of an existing service follows what the service says about caching its answers (RFC 9111,
/// RFC 5861): its freshness, its ban on stale copies, its validators, its headers. Two gateway instances on one Redis.
/// </summary>
public sealed class UpstreamHeadersTests(TestDatabase database) : TwoInstancesTests(database)
{
    [Fact]
    public async Task The_upstreams_max_age_sets_the_fresh_window_and_the_policys_fresh_bounds_it()
    {
        Upstream.Script("short", (c, n) => Text(c, $"short {n}", ("Cache-Control", "max-age=5")));
        Upstream.Script("long", (c, n) => Text(c, $"long {n}", ("Cache-Control", "max-age=3600")));
        await Clients[0].GetAnswerAsync("/api/scripted/short");
        await Clients[0].GetAnswerAsync("/api/scripted/long");

        Time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal("FRESH", (await Clients[1].GetAnswerAsync("/api/scripted/short")).CacheStatus);
        Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("STALE", (await Clients[1].GetAnswerAsync("/api/scripted/short")).CacheStatus);
        Time.Advance(TimeSpan.FromSeconds(53));
        Assert.Equal("FRESH", (await Clients[1].GetAnswerAsync("/api/scripted/long")).CacheStatus);
        Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("STALE", (await Clients[1].GetAnswerAsync("/api/scripted/long")).CacheStatus);
    }

    [Theory]
    [InlineData("max-age=2, must-revalidate")]
    [InlineData("max-age=2, proxy-revalidate")]
    [InlineData("s-maxage=2")]
    [InlineData("max-age=2, no-cache")]
    [InlineData("no-cache")]
    public async Task A_copy_the_upstream_forbids_serving_stale_is_never_served_stale_even_while_the_upstream_fails(string cacheControl)
    {
        Upstream.Script("strict", (c, n) => n == 1
            ? Text(c, "good", ("Cache-Control", cacheControl))
            : Text(c, "down", 503, ("Retry-After", "7"), ("X-Reason", "maintenance")));
        var first = await Clients[0].GetAnswerAsync("/api/scripted/strict");
        Time.Advance(TimeSpan.FromSeconds(3));

        var answers = new[] { await Clients[0].GetAnswerAsync("/api/scripted/strict"), await Clients[1].GetAnswerAsync("/api/scripted/strict") };

        Assert.Equal((HttpStatusCode.OK, "good"), (first.Status, first.Body));
        Assert.All(answers, a => Assert.Equal((HttpStatusCode.ServiceUnavailable, "down", "7", "maintenance"), (a.Status, a.Body, a.Header("Retry-After"), a.Header("X-Reason"))));
    }

    [Fact]
    public async Task A_copy_whose_upstream_says_nothing_of_stale_serving_stands_in_for_a_failing_upstream_for_the_policys_window()
    {
        Upstream.Script("lenient", (c, n) => n == 1 ? Text(c, "good", ("Cache-Control", "max-age=2")) : Text(c, "down", 503));
        await Clients[0].GetAnswerAsync("/api/scripted/lenient");
        Time.Advance(TimeSpan.FromSeconds(3));

        var answer = await Clients[1].GetAnswerAsync("/api/scripted/lenient");

        Assert.Equal((HttpStatusCode.OK, "STALE", "good"), (answer.Status, answer.CacheStatus, answer.Body));
    }

    [Fact]
    public async Task A_no_cache_answer_is_revalidated_with_its_etag_on_every_read_and_a_304_keeps_its_body_and_etag()
    {
        Upstream.Script("nocache", (c, n) => c.Request.Headers.IfNoneMatch == "\"v1\""
            ? Status(c, 304, ("ETag", "\"v1\""), ("X-Seen", $"{n}"))
            : Text(c, "the body", ("Cache-Control", "no-cache"), ("ETag", "\"v1\""), ("X-Seen", $"{n}")));

        var answers = new List<Answer>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await Clients[i % 2].GetAnswerAsync("/api/scripted/nocache"));
        }

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.OK, "the body", "\"v1\"", "no-cache"), (a.Status, a.Body, a.Header("ETag"), a.Header("Cache-Control"))));
        Assert.Equal(["1", "2", "3"], answers.Select(a => a.Header("X-Seen")));
        Assert.Equal([null, "\"v1\"", "\"v1\""], Upstream.ScriptedFor("nocache").Select(r => r.Header("If-None-Match")));
    }

    [Fact]
    public async Task A_304_to_a_background_revalidation_updates_the_stored_headers_and_freshness()
    {
        Upstream.Script("updated", (c, n) => n == 1
            ? Text(c, "the body", ("Cache-Control", "max-age=2"), ("ETag", "\"e\""), ("Last-Modified", "Wed, 01 Jan 2020 00:00:00 GMT"), ("X-Version", "1"))
            : Status(c, 304, ("Cache-Control", "max-age=100"), ("ETag", "\"e\""), ("X-Version", "2")));
        await Clients[0].GetAnswerAsync("/api/scripted/updated");
        Time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal("STALE", (await Clients[0].GetAnswerAsync("/api/scripted/updated")).CacheStatus);
        var fresh = await Eventually.Until(() => Clients[1].GetAnswerAsync("/api/scripted/updated"), a => a.Header("X-Version") == "2", "the revalidated entry");

        Assert.Equal(("FRESH", "the body", "max-age=100", "\"e\""), (fresh.CacheStatus, fresh.Body, fresh.Header("Cache-Control"), fresh.Header("ETag")));
        var revalidation = Upstream.ScriptedFor("updated").Last();
        Assert.Equal(("\"e\"", "Wed, 01 Jan 2020 00:00:00 GMT"), (revalidation.Header("If-None-Match"), revalidation.Header("If-Modified-Since")));
        Time.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal("FRESH", (await Clients[0].GetAnswerAsync("/api/scripted/updated")).CacheStatus);
    }

    [Fact]
    public async Task The_upstreams_headers_reach_every_client_as_it_sent_them_and_the_gateway_makes_nothing_more_shareable()
    {
        var expires = DateTimeOffset.UtcNow.AddHours(1).ToString("R");
        Upstream.Script("headers", (c, _) => Text(
            c,
            "body",
            ("Cache-Control", "max-age=60"),
            ("ETag", "\"upstream\""),
            ("Last-Modified", "Wed, 01 Jan 2020 00:00:00 GMT"),
            ("Expires", expires),
            ("X-Custom", "kept")));

        var miss = await Clients[0].GetAnswerAsync("/api/scripted/headers");
        var hit = await Clients[1].GetAnswerAsync("/api/scripted/headers");

        Assert.Equal(("MISS", "FRESH"), (miss.CacheStatus, hit.CacheStatus));
        foreach (var answer in new[] { miss, hit })
        {
            Assert.Equal("max-age=60", answer.Header("Cache-Control"));
            Assert.Equal("\"upstream\"", answer.Header("ETag"));
            Assert.Equal("Wed, 01 Jan 2020 00:00:00 GMT", answer.Header("Last-Modified"));
            Assert.Equal(expires, answer.Header("Expires"));
            Assert.Equal("kept", answer.Header("X-Custom"));
            // The policy keys on Accept-Language: a cache in front must keep those answers apart too.
            Assert.Contains("Accept-Language", answer.Header("Vary"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Conditional_reads_are_answered_from_the_upstreams_own_validators()
    {
        Upstream.Script("validators", (c, _) => Text(c, "body", ("Cache-Control", "max-age=60"), ("ETag", "W/\"weak\""), ("Last-Modified", "Wed, 01 Jan 2020 00:00:00 GMT")));
        await Clients[0].GetAnswerAsync("/api/scripted/validators");

        var byEtag = await Conditional(("If-None-Match", "W/\"weak\""));
        var bySince = await Conditional(("If-Modified-Since", "Thu, 02 Jan 2020 00:00:00 GMT"));
        var modified = await Conditional(("If-Modified-Since", "Tue, 31 Dec 2019 00:00:00 GMT"));
        var etagFirst = await Conditional(("If-None-Match", "\"other\""), ("If-Modified-Since", "Thu, 02 Jan 2020 00:00:00 GMT"));

        Assert.Equal(
            [HttpStatusCode.NotModified, HttpStatusCode.NotModified, HttpStatusCode.OK, HttpStatusCode.OK],
            new[] { byEtag.Status, bySince.Status, modified.Status, etagFirst.Status });
        Assert.Equal("W/\"weak\"", byEtag.Header("ETag"));
        Assert.Equal(1, Upstream.Requests("scripted:validators"));

        Task<Answer> Conditional(params (string Name, string Value)[] headers)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/scripted/validators");
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            return Clients[1].SendAnswerAsync(request);
        }
    }

    [Theory]
    [InlineData("private, max-age=\"60\"")]
    [InlineData("no-store, max-age=-1")]
    [InlineData("private, max-age=abc")]
    [InlineData("max-age=60, max-age=0")]
    [InlineData("max-age=60 public")]
    public async Task An_answer_whose_cache_control_cannot_be_read_is_never_stored(string cacheControl)
    {
        Upstream.Script("unreadable", (c, n) => Text(c, $"answer {n}", ("Cache-Control", cacheControl)));

        var answers = new[] { await Clients[0].GetAnswerAsync("/api/scripted/unreadable"), await Clients[1].GetAnswerAsync("/api/scripted/unreadable") };

        Assert.Equal(["answer 1", "answer 2"], answers.Select(a => a.Body));
        Assert.Equal(0, await EntryKeysAsync("scripted/unreadable"));
    }

    [Fact]
    public async Task An_upstream_204_is_passed_on_as_a_204_whether_or_not_it_is_stored()
    {
        Upstream.Script("empty", (c, _) => Status(c, 204, ("X-Empty", "yes")));

        var answers = new[] { await Clients[0].GetAnswerAsync("/api/scripted/empty"), await Clients[1].GetAnswerAsync("/api/scripted/empty") };

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.NoContent, "", "yes"), (a.Status, a.Body, a.Header("X-Empty"))));
        Assert.Equal(2, Upstream.Requests("scripted:empty"));
    }

    [Theory]
    [InlineData(204)]
    [InlineData(301)]
    [InlineData(403)]
    [InlineData(410)]
    public async Task A_head_whose_upstream_status_is_not_stored_gets_that_status_from_one_upstream_request(int status)
    {
        Upstream.Script("status", (c, _) => status == 204 ? Status(c, 204, ("X-Status", "204")) : Text(c, "not for the cache", status, ("X-Status", $"{status}"), ("Location", "/elsewhere")));
        using var client = A.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var answer = await client.SendAnswerAsync(new HttpRequestMessage(HttpMethod.Head, "/api/scripted/status"));

        Assert.Equal(((HttpStatusCode)status, "", $"{status}"), (answer.Status, answer.Body, answer.Header("X-Status")));
        Assert.Equal(["GET"], Upstream.ScriptedFor("status").Select(r => r.Method));
    }

    [Fact]
    public async Task A_head_on_a_miss_that_cannot_be_stored_costs_one_upstream_request_with_one_set_of_headers()
    {
        Upstream.Script("cookie", (c, n) => Text(c, "yours", ("Set-Cookie", $"session={n}")));

        var answer = await Clients[0].SendAnswerAsync(new HttpRequestMessage(HttpMethod.Head, "/api/scripted/cookie"));

        Assert.Equal((HttpStatusCode.OK, "", "session=1"), (answer.Status, answer.Body, answer.Header("Set-Cookie")));
        Assert.Equal(1, Upstream.Requests("scripted:cookie"));
    }

    [Fact]
    public async Task A_successful_unsafe_request_drops_the_stored_answer_of_its_url_on_every_instance_and_a_failed_one_does_not()
    {
        Upstream.Script("changing", (c, n) => HttpMethods.IsGet(c.Request.Method)
            ? Text(c, $"version {n}", ("Cache-Control", "max-age=60"))
            : Text(c, "done", c.Request.Headers["X-Fail"].Count > 0 ? 500 : 200));
        await Clients[0].GetAnswerAsync("/api/scripted/changing");
        Assert.Equal("FRESH", (await Clients[1].GetAnswerAsync("/api/scripted/changing")).CacheStatus);

        var failed = new HttpRequestMessage(HttpMethod.Post, "/api/scripted/changing") { Content = new StringContent("x") };
        failed.Headers.Add("X-Fail", "1");
        await Clients[0].SendAsync(failed);
        Assert.Equal("FRESH", (await Clients[1].GetAnswerAsync("/api/scripted/changing")).CacheStatus);
        await Clients[0].SendAsync(new HttpRequestMessage(HttpMethod.Put, "/api/scripted/changing") { Content = new StringContent("x") });

        var after = await Eventually.Until(() => Clients[1].GetAnswerAsync("/api/scripted/changing"), a => a.CacheStatus == "MISS", "the read after the PUT");
        Assert.Equal("version 4", after.Body);
    }

    [Fact]
    public async Task A_range_of_a_stored_answer_is_served_from_the_cache()
    {
        Upstream.Script("ranged", (c, _) => Text(c, "0123456789", ("Cache-Control", "max-age=60"), ("ETag", "\"r\"")));
        await Clients[0].GetAnswerAsync("/api/scripted/ranged");

        var part = await Ranged("bytes=2-4");
        var suffix = await Ranged("bytes=-3");
        var beyond = await Ranged("bytes=20-");

        Assert.Equal((HttpStatusCode.PartialContent, "234", "bytes 2-4/10"), (part.Status, part.Body, part.Header("Content-Range")));
        Assert.Equal((HttpStatusCode.PartialContent, "789"), (suffix.Status, suffix.Body));
        Assert.Equal((HttpStatusCode.RequestedRangeNotSatisfiable, "bytes */10"), (beyond.Status, beyond.Header("Content-Range")));
        Assert.Equal(1, Upstream.Requests("scripted:ranged"));

        Task<Answer> Ranged(string range)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/scripted/ranged");
            request.Headers.TryAddWithoutValidation("Range", range);
            return Clients[1].SendAnswerAsync(request);
        }
    }

    [Fact]
    public async Task A_targeted_cdn_cache_control_replaces_cache_control_for_the_gateway_and_still_goes_downstream()
    {
        Upstream.Script("targeted", (c, n) => Text(c, $"answer {n}", ("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=30")));

        var miss = await Clients[0].GetAnswerAsync("/api/scripted/targeted");
        var hit = await Clients[1].GetAnswerAsync("/api/scripted/targeted");

        Assert.Equal(("MISS", "FRESH", "answer 1"), (miss.CacheStatus, hit.CacheStatus, hit.Body));
        Assert.Equal(("no-store", "max-age=30"), (hit.Header("Cache-Control"), hit.Header("CDN-Cache-Control")));
    }

    internal static Task Text(HttpContext context, string body, params (string Name, string Value)[] headers) => Text(context, body, 200, headers);

    internal static Task Text(HttpContext context, string body, int status, params (string Name, string Value)[] headers)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        foreach (var (name, value) in headers)
        {
            context.Response.Headers.Append(name, value);
        }

        return context.Response.WriteAsync(body);
    }

    internal static Task Status(HttpContext context, int status, params (string Name, string Value)[] headers)
    {
        context.Response.StatusCode = status;
        foreach (var (name, value) in headers)
        {
            context.Response.Headers.Append(name, value);
        }

        return Task.CompletedTask;
    }

    private async Task<int> EntryKeysAsync(string pathEnd)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RealServices.Redis);
        return (await RedisProbe.ScanAsync(redis, $"{Prefix}*{pathEnd}*:entry")).Length;
    }
}
