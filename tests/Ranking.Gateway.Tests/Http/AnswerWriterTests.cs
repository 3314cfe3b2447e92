using System.Text;
using Microsoft.AspNetCore.Http;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Http;

namespace Ranking.Gateway.Tests.Http;

/// <summary>The headers every cached answer carries, and If-None-Match, on a response of its own (no server).</summary>
public sealed class AnswerWriterTests
{
    private static readonly DateTimeOffset Generated = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly CacheEntry Entry = new(
        200, "application/json", Encoding.UTF8.GetBytes("{\"a\":1}"), "\"abc\"", [new("X-Upstream", "kept")],
        Generated, Generated.AddSeconds(60), Generated.AddSeconds(660), Generated.AddSeconds(3660));

    [Fact]
    public async Task A_fresh_hit_carries_status_age_etag_and_cache_control()
    {
        var context = Context();

        await AnswerWriter.WriteAsync(context, new CacheLookup(Entry, CacheStatus.Fresh), Generated.AddSeconds(12.7));

        var headers = context.Response.Headers;
        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("FRESH", headers["X-Cache-Status"]);
        Assert.Equal("Ranking.Gateway; hit; ttl=47", headers["Cache-Status"]);
        Assert.Equal("12", headers.Age);
        Assert.Equal("\"abc\"", headers.ETag);
        Assert.Equal("public, max-age=60, stale-while-revalidate=600, stale-if-error=3600", headers.CacheControl);
        Assert.Equal("kept", headers["X-Upstream"]);
        Assert.Equal("application/json", context.Response.ContentType);
        Assert.Equal(Entry.Body.Length, context.Response.ContentLength);
        Assert.Equal(Entry.Body, Body(context));
    }

    [Fact]
    public async Task Hits_of_different_entries_at_the_same_age_share_their_header_texts()
    {
        // Nothing is made and kept per hit (an object stored in a long-lived entry on every hit made the collector's
        // young-generation pauses grow with the number of entries): the texts of a number of seconds are shared.
        var other = Entry with { Body = Encoding.UTF8.GetBytes("{\"b\":2}") };
        var first = Context();
        var second = Context();

        await AnswerWriter.WriteAsync(first, new CacheLookup(Entry, CacheStatus.Fresh), Generated.AddSeconds(12.2));
        await AnswerWriter.WriteAsync(second, new CacheLookup(other, CacheStatus.Fresh), Generated.AddSeconds(12.9));

        Assert.Same(first.Response.Headers.Age.ToString(), second.Response.Headers.Age.ToString());
        Assert.Same(first.Response.Headers["Cache-Status"].ToString(), second.Response.Headers["Cache-Status"].ToString());
        Assert.Equal("Ranking.Gateway; hit; ttl=47", second.Response.Headers["Cache-Status"]);
    }

    [Fact]
    public async Task A_stale_hit_has_a_negative_ttl()
    {
        var context = Context();

        await AnswerWriter.WriteAsync(context, new CacheLookup(Entry, CacheStatus.Stale), Generated.AddSeconds(90));

        Assert.Equal("STALE", context.Response.Headers["X-Cache-Status"]);
        Assert.Equal("Ranking.Gateway; hit; ttl=-30", context.Response.Headers["Cache-Status"]);
    }

    [Theory]
    [InlineData(CacheStatus.Miss, true, "MISS", "Ranking.Gateway; fwd=miss; stored")]
    [InlineData(CacheStatus.Miss, false, "MISS", "Ranking.Gateway; fwd=miss")]
    [InlineData(CacheStatus.Bypass, false, "BYPASS", "Ranking.Gateway; fwd=bypass; detail=redis-unavailable")]
    public async Task Misses_and_bypasses_say_how_the_answer_was_forwarded(CacheStatus status, bool stored, string name, string cacheStatus)
    {
        var context = Context();

        await AnswerWriter.WriteAsync(context, new CacheLookup(Entry, status, Stored: stored), Generated);

        Assert.Equal(name, context.Response.Headers["X-Cache-Status"]);
        Assert.Equal(cacheStatus, context.Response.Headers["Cache-Status"]);
    }

    [Fact]
    public async Task An_answer_without_a_stale_window_says_only_max_age_and_one_not_shareable_says_no_store()
    {
        var negative = Entry with { StatusCode = 404, StaleUntil = Entry.FreshUntil, ErrorUntil = Entry.FreshUntil };
        var context = Context();
        await AnswerWriter.WriteAsync(context, new CacheLookup(negative, CacheStatus.Fresh), Generated);
        Assert.Equal("public, max-age=60", context.Response.Headers.CacheControl);

        var unshareable = Context();
        await AnswerWriter.WriteAsync(unshareable, new CacheLookup(Entry, CacheStatus.Miss, Shareable: false, Stored: false), Generated);
        Assert.Equal("no-store", unshareable.Response.Headers.CacheControl);
    }

    [Theory]
    [InlineData("\"abc\"", 304)]
    [InlineData("W/\"abc\"", 304)]
    [InlineData("\"other\", \"abc\"", 304)]
    [InlineData("*", 304)]
    [InlineData("\"other\"", 200)]
    [InlineData("\"abcd\"", 200)]
    [InlineData("abc", 200)]
    public async Task If_none_match_with_the_etag_is_answered_304_without_a_body_and_other_etags_get_the_answer(string ifNoneMatch, int status)
    {
        var context = Context();
        context.Request.Headers.IfNoneMatch = ifNoneMatch;

        await AnswerWriter.WriteAsync(context, new CacheLookup(Entry, CacheStatus.Fresh), Generated);

        Assert.Equal(status, context.Response.StatusCode);
        Assert.Equal("\"abc\"", context.Response.Headers.ETag);
        Assert.Equal(status == 304 ? [] : Entry.Body, Body(context));
    }

    [Fact]
    public async Task A_cached_404_is_never_turned_into_a_304()
    {
        var context = Context();
        context.Request.Headers.IfNoneMatch = "\"abc\"";

        await AnswerWriter.WriteAsync(context, new CacheLookup(Entry with { StatusCode = 404 }, CacheStatus.Fresh), Generated);

        Assert.Equal(404, context.Response.StatusCode);
    }

    [Fact]
    public async Task A_head_request_gets_the_headers_and_no_body()
    {
        var context = Context();
        context.Request.Method = HttpMethods.Head;

        await AnswerWriter.WriteAsync(context, new CacheLookup(Entry, CacheStatus.Fresh), Generated);

        Assert.Equal(Entry.Body.Length, context.Response.ContentLength);
        Assert.Empty(Body(context));
    }

    [Fact]
    public async Task A_derived_body_is_written_with_its_own_etag()
    {
        var context = Context();
        context.Request.Headers.IfNoneMatch = "\"abc\"";

        await AnswerWriter.WriteAsync(context, new CacheLookup(Entry, CacheStatus.Fresh), Generated, new CompressedVariants([1, 2], "\"abc-1\""));

        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("\"abc-1\"", context.Response.Headers.ETag);
        Assert.Equal(new byte[] { 1, 2 }, Body(context));
    }

    [Fact]
    public async Task Header_values_are_made_once_per_entry_and_once_per_second_of_its_age_not_per_hit()
    {
        var (first, again, nextSecond) = (Context(), Context(), Context());

        await AnswerWriter.WriteAsync(first, new CacheLookup(Entry, CacheStatus.Fresh), Generated.AddSeconds(12.1));
        await AnswerWriter.WriteAsync(again, new CacheLookup(Entry, CacheStatus.Fresh), Generated.AddSeconds(12.9));
        await AnswerWriter.WriteAsync(nextSecond, new CacheLookup(Entry, CacheStatus.Fresh), Generated.AddSeconds(13.1));

        // The same string instances: nothing was formatted for the second hit.
        Assert.Same(first.Response.Headers.CacheControl.ToString(), again.Response.Headers.CacheControl.ToString());
        Assert.Same(first.Response.Headers.CacheControl.ToString(), nextSecond.Response.Headers.CacheControl.ToString());
        Assert.Same(first.Response.Headers.Age.ToString(), again.Response.Headers.Age.ToString());
        Assert.Same(first.Response.Headers["Cache-Status"].ToString(), again.Response.Headers["Cache-Status"].ToString());
        Assert.Same(first.Response.Headers["X-Cache-Status"].ToString(), again.Response.Headers["X-Cache-Status"].ToString());
        Assert.Equal(("13", "Ranking.Gateway; hit; ttl=46"), (nextSecond.Response.Headers.Age.ToString(), nextSecond.Response.Headers["Cache-Status"].ToString()));
    }

    private static DefaultHttpContext Context()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static byte[] Body(HttpContext context) => ((MemoryStream)context.Response.Body).ToArray();
}
