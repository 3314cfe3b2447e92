using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Http;

namespace Ranking.Gateway.Tests.Http;

/// <summary>gzip and br copies of a cached answer: made once, served by Accept-Encoding, each with an ETag of its own.</summary>
public sealed class CompressedAnswerTests
{
    private static readonly DateTimeOffset Generated = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Json = Encoding.UTF8.GetBytes("{\"entries\":[" + string.Join(',', Enumerable.Range(1, 100).Select(i => $"{{\"rank\":{i},\"userId\":\"u{i}\"}}")) + "]}");

    [Theory]
    [InlineData("gzip, deflate, br", ContentCoding.Brotli)]
    [InlineData("gzip", ContentCoding.Gzip)]
    [InlineData("GZIP;q=0.5, identity", ContentCoding.Gzip)]
    [InlineData("br;q=0, gzip;q=0.1", ContentCoding.Gzip)]
    [InlineData("br;q=0.0, gzip;q=0", ContentCoding.Identity)]
    [InlineData("*", ContentCoding.Brotli)]
    [InlineData("br;q=0, *", ContentCoding.Gzip)]
    [InlineData("*, br;q=0", ContentCoding.Gzip)]
    [InlineData("gzip;q=0, br;q=0, *", ContentCoding.Identity)]
    [InlineData("*;q=0", ContentCoding.Identity)]
    [InlineData("*;q=0, gzip", ContentCoding.Gzip)]
    [InlineData("deflate, identity", ContentCoding.Identity)]
    [InlineData("", ContentCoding.Identity)]
    internal void Accept_encoding_picks_br_then_gzip_and_honours_q_0(string header, ContentCoding expected)
    {
        Assert.Equal(expected, AcceptEncoding.Pick(new StringValues(header)));
    }

    [Theory]
    [InlineData("br", "br")]
    [InlineData("gzip", "gzip")]
    public async Task A_client_that_accepts_a_coding_gets_the_compressed_copy_with_its_own_etag(string acceptEncoding, string coding)
    {
        var context = Context(acceptEncoding);

        await AnswerWriter.WriteAsync(context, new CacheLookup(Entry(), CacheStatus.Fresh), Generated);

        Assert.Equal(coding, context.Response.Headers.ContentEncoding);
        Assert.Equal($"\"abc-{coding}\"", context.Response.Headers.ETag);
        Assert.Contains("Accept-Encoding", context.Response.Headers.Vary.ToString());
        var body = Body(context);
        Assert.True(body.Length < Json.Length / 2, $"{body.Length} bytes compressed from {Json.Length}");
        Assert.Equal(body.Length, context.Response.ContentLength);
        Assert.Equal(Json, Decompress(body, coding));
    }

    [Fact]
    public async Task A_client_that_asks_for_no_coding_gets_the_body_as_it_is_and_the_answer_says_it_varies()
    {
        var context = Context(null);

        await AnswerWriter.WriteAsync(context, new CacheLookup(Entry(), CacheStatus.Fresh), Generated);

        Assert.Equal(StringValues.Empty, context.Response.Headers.ContentEncoding);
        Assert.Equal("\"abc\"", context.Response.Headers.ETag);
        Assert.Equal("Accept-Encoding", context.Response.Headers.Vary);
        Assert.Equal(Json, Body(context));
    }

    [Fact]
    public async Task The_compressed_copy_is_made_once_per_body()
    {
        var entry = Entry();
        var first = Context("br");
        var second = Context("br");

        await AnswerWriter.WriteAsync(first, new CacheLookup(entry, CacheStatus.Fresh), Generated);
        await AnswerWriter.WriteAsync(second, new CacheLookup(entry, CacheStatus.Fresh), Generated);

        Assert.Same(entry.Memo.Variants.Get(ContentCoding.Brotli), entry.Memo.Variants.Get(ContentCoding.Brotli));
        Assert.Equal(Body(first), Body(second));
    }

    [Fact]
    public async Task Readers_asking_at_once_for_a_new_body_share_one_compression()
    {
        var body = new CompressedVariants(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{{\"rank\":{i}}},"))), "\"big\"");
        using var start = new Barrier(4);

        // Dedicated threads, released together: each asks for the br copy of a body nobody compressed yet.
        var variants = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                return body.Get(ContentCoding.Brotli);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray());

        Assert.All(variants, v => Assert.Same(variants[0], v));
    }

    [Fact]
    public async Task If_none_match_with_the_compressed_copys_etag_is_a_304()
    {
        var context = Context("br");
        context.Request.Headers.IfNoneMatch = "\"abc-br\"";

        await AnswerWriter.WriteAsync(context, new CacheLookup(Entry(), CacheStatus.Fresh), Generated);

        Assert.Equal(304, context.Response.StatusCode);
        Assert.Empty(Body(context));
    }

    [Fact]
    public async Task An_answer_the_origin_encoded_itself_is_served_as_it_came()
    {
        var encoded = Entry() with { Headers = [new("Content-Encoding", "gzip")] };
        var context = Context("br");

        await AnswerWriter.WriteAsync(context, new CacheLookup(encoded, CacheStatus.Fresh), Generated);

        Assert.Equal("gzip", context.Response.Headers.ContentEncoding);
        Assert.Equal("\"abc\"", context.Response.Headers.ETag);
        Assert.Equal(StringValues.Empty, context.Response.Headers.Vary);
        Assert.Equal(Json, Body(context));
    }

    [Fact]
    public async Task Small_or_binary_answers_are_never_compressed()
    {
        foreach (var entry in new[] { Entry() with { Body = [1, 2, 3] }, Entry() with { ContentType = "image/png" } })
        {
            var context = Context("br");

            await AnswerWriter.WriteAsync(context, new CacheLookup(entry, CacheStatus.Fresh), Generated);

            Assert.Equal(StringValues.Empty, context.Response.Headers.ContentEncoding);
            Assert.Equal(StringValues.Empty, context.Response.Headers.Vary);
        }
    }

    private static CacheEntry Entry() =>
        new(200, "application/json; charset=utf-8", Json, "\"abc\"", [], Generated, Generated.AddSeconds(60), Generated.AddSeconds(660), Generated.AddSeconds(3660));

    private static DefaultHttpContext Context(string? acceptEncoding)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        if (acceptEncoding is not null)
        {
            context.Request.Headers.AcceptEncoding = acceptEncoding;
        }

        context.Response.Body = new MemoryStream();
        return context;
    }

    private static byte[] Body(HttpContext context) => ((MemoryStream)context.Response.Body).ToArray();

    private static byte[] Decompress(byte[] body, string coding)
    {
        using var input = new MemoryStream(body);
        using Stream decompressor = coding == "br" ? new BrotliStream(input, CompressionMode.Decompress) : new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        decompressor.CopyTo(output);
        return output.ToArray();
    }
}
