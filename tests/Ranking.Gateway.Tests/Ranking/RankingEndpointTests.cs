using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Ranking;

public sealed class RankingEndpointTests(TestDatabase database) : OneGatewayTest(database)
{
    [Fact]
    public async Task Entries_are_ordered_by_score_descending()
    {
        await Database.SeedAsync("order", [("low", 5), ("top", 900), ("mid", 40), ("second", 300), ("neg", -7)]);

        var answer = await Client.GetAnswerAsync("/ranking/order");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(["top", "second", "mid", "low", "neg"], answer.UserIds);
        Assert.Equal([900L, 300, 40, 5, -7], Scores(answer));
    }

    [Fact]
    public async Task Ties_are_broken_by_user_id_in_byte_order()
    {
        // The cluster uses C collation: 'U3' < 'u1' < 'u10' < 'u2'.
        await Database.SeedAsync("ties", [("u2", 50), ("a", 10), ("u10", 50), ("b", 70), ("u1", 50), ("U3", 50)]);

        var answer = await Client.GetAnswerAsync("/ranking/ties");

        Assert.Equal(["b", "U3", "u1", "u10", "u2", "a"], answer.UserIds);
        Assert.Equal([70L, 50, 50, 50, 50, 10], Scores(answer));
        Assert.Equal([1, 2, 3, 4, 5, 6], Ranks(answer));
    }

    [Fact]
    public async Task Default_limit_is_100_with_ranks_1_to_100()
    {
        await Database.SeedAsync("big", 150);

        var answer = await Client.GetAnswerAsync("/ranking/big");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(Enumerable.Range(1, 100), Ranks(answer));
        Assert.Equal(Enumerable.Range(1, 100).Select(i => $"u{i}"), answer.UserIds);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)(150 - i)), Scores(answer));
    }

    [Fact]
    public async Task A_smaller_limit_returns_the_head_of_the_full_list()
    {
        await Database.SeedAsync("head", 150);

        var full = await Client.GetAnswerAsync("/ranking/head?limit=100");
        var three = await Client.GetAnswerAsync("/ranking/head?limit=3");

        Assert.Equal(HttpStatusCode.OK, three.Status);
        Assert.Equal(["u1", "u2", "u3"], three.UserIds);
        Assert.Equal([1, 2, 3], Ranks(three));
        var root = full.Json;
        var expected = "{\"group\":" + root.GetProperty("group").GetRawText()
            + ",\"generatedAt\":" + root.GetProperty("generatedAt").GetRawText()
            + ",\"entries\":[" + string.Join(",", root.GetProperty("entries").EnumerateArray().Take(3).Select(e => e.GetRawText())) + "]}";
        Assert.Equal(expected, three.Body);
    }

    [Fact]
    public async Task No_limit_and_limit_100_give_the_same_answer()
    {
        await Database.SeedAsync("same", 120);

        var none = await Client.GetAnswerAsync("/ranking/same");
        var hundred = await Client.GetAnswerAsync("/ranking/same?limit=100");

        Assert.Equal(none.Body, hundred.Body);
        Assert.Equal(none.Header("ETag"), hundred.Header("ETag"));
        Assert.Equal(100, Ranks(none).Length);
    }

    [Fact]
    public async Task A_group_smaller_than_the_limit_returns_all_its_users()
    {
        await Database.SeedAsync("small", 7);

        var byDefault = await Client.GetAnswerAsync("/ranking/small");
        var limited = await Client.GetAnswerAsync("/ranking/small?limit=10");

        Assert.Equal(["u1", "u2", "u3", "u4", "u5", "u6", "u7"], byDefault.UserIds);
        Assert.Equal(["u1", "u2", "u3", "u4", "u5", "u6", "u7"], limited.UserIds);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], Ranks(limited));
    }

    [Fact]
    public async Task Json_shape_is_exactly_group_generatedAt_and_entries_in_camelCase()
    {
        await Database.SeedAsync("shape", [("alice", 20), ("bob", 10)]);

        var answer = await Client.GetAnswerAsync("/ranking/shape");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("application/json", answer.Message.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", answer.Message.Content.Headers.ContentType?.CharSet);
        Assert.Equal(["group", "generatedAt", "entries"], answer.Json.EnumerateObject().Select(p => p.Name));
        Assert.All(answer.Json.GetProperty("entries").EnumerateArray(), e => Assert.Equal(["rank", "userId", "score"], e.EnumerateObject().Select(p => p.Name)));
        var generatedAt = JsonSerializer.Serialize(Time.GetUtcNow());
        Assert.Equal(
            "{\"group\":\"shape\",\"generatedAt\":" + generatedAt + ",\"entries\":[{\"rank\":1,\"userId\":\"alice\",\"score\":20},{\"rank\":2,\"userId\":\"bob\",\"score\":10}]}",
            answer.Body);
    }

    [Fact]
    public async Task Unknown_group_is_a_404_problem()
    {
        var answer = await Client.GetAnswerAsync("/ranking/nobody-here");

        ProblemAssert.IsProblem(answer, HttpStatusCode.NotFound, "Unknown group");
    }

    [Theory]
    [InlineData("*")]
    [InlineData("own")]
    public async Task An_unknown_group_never_answers_304(string tag)
    {
        var first = await Client.GetAnswerAsync("/ranking/nobody-here");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ranking/nobody-here");
        request.Headers.TryAddWithoutValidation("If-None-Match", tag == "*" ? "*" : first.Header("ETag"));

        var again = await Client.SendAnswerAsync(request);

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (first.Status, again.Status));
        Assert.Equal(first.Body, again.Body);
    }

    [Fact]
    public async Task Head_returns_the_headers_of_get_without_a_body()
    {
        await Database.SeedAsync("head-method", 12);
        var get = await Client.GetAnswerAsync("/ranking/head-method?limit=5");

        using var request = new HttpRequestMessage(HttpMethod.Head, "/ranking/head-method?limit=5");
        var head = await Client.SendAnswerAsync(request);

        Assert.Equal(HttpStatusCode.OK, head.Status);
        Assert.Equal("", head.Body);
        Assert.Equal(get.Header("ETag"), head.Header("ETag"));
        Assert.Equal("application/json; charset=utf-8", head.Header("Content-Type"));
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(get.Body), head.Message.Content.Headers.ContentLength);
        Assert.Equal("FRESH", head.CacheStatus);
    }

    [Fact]
    public async Task If_none_match_with_the_current_etag_answers_304_without_a_body()
    {
        await Database.SeedAsync("etag", 4);
        var first = await Client.GetAnswerAsync("/ranking/etag");
        var etag = first.Header("ETag")!;

        using var request = new HttpRequestMessage(HttpMethod.Get, "/ranking/etag");
        request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(etag));
        var notModified = await Client.SendAnswerAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, notModified.Status);
        Assert.Equal("", notModified.Body);
        Assert.Equal(etag, notModified.Header("ETag"));
    }

    [Fact]
    public async Task If_none_match_with_a_sliced_etag_answers_304_only_for_that_limit()
    {
        await Database.SeedAsync("etag-slice", 10);
        var three = await Client.GetAnswerAsync("/ranking/etag-slice?limit=3");
        var etag = three.Header("ETag")!;

        using var same = new HttpRequestMessage(HttpMethod.Get, "/ranking/etag-slice?limit=3");
        same.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(etag));
        using var other = new HttpRequestMessage(HttpMethod.Get, "/ranking/etag-slice?limit=4");
        other.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(etag));
        using var full = new HttpRequestMessage(HttpMethod.Get, "/ranking/etag-slice");
        full.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(etag));

        Assert.Equal(HttpStatusCode.NotModified, (await Client.SendAnswerAsync(same)).Status);
        var otherAnswer = await Client.SendAnswerAsync(other);
        Assert.Equal(HttpStatusCode.OK, otherAnswer.Status);
        Assert.Equal(["u1", "u2", "u3", "u4"], otherAnswer.UserIds);
        var fullAnswer = await Client.SendAnswerAsync(full);
        Assert.Equal(HttpStatusCode.OK, fullAnswer.Status);
        Assert.Equal(10, fullAnswer.UserIds.Length);
    }

    [Fact]
    public async Task Different_limits_have_different_etags()
    {
        await Database.SeedAsync("etags", 20);

        string?[] etags =
        [
            (await Client.GetAnswerAsync("/ranking/etags")).Header("ETag"),
            (await Client.GetAnswerAsync("/ranking/etags?limit=1")).Header("ETag"),
            (await Client.GetAnswerAsync("/ranking/etags?limit=3")).Header("ETag"),
            (await Client.GetAnswerAsync("/ranking/etags?limit=10")).Header("ETag"),
            (await Client.GetAnswerAsync("/ranking/etags?limit=99")).Header("ETag"),
        ];

        Assert.All(etags, e => Assert.Matches("^\"[0-9a-f-]+\"$", e));
        Assert.Equal(etags.Length, etags.Distinct().Count());
        Assert.Equal(etags[0]!.TrimEnd('"') + "-3\"", etags[2]);
    }

    [Fact]
    public async Task Slicing_with_several_limits_stores_one_entry_and_queries_the_origin_once()
    {
        await Database.SeedAsync("slices", 150);
        var queries = await Database.OriginQueriesAsync();

        foreach (var path in new[] { "/ranking/slices?limit=3", "/ranking/slices", "/ranking/slices?limit=50", "/ranking/slices?limit=1", "/ranking/slices?limit=100", "/ranking/slices?limit=3" })
        {
            var answer = await Client.GetAnswerAsync(path);
            Assert.Equal(HttpStatusCode.OK, answer.Status);
        }

        Assert.Equal(queries + 1, await Database.OriginQueriesAsync());
        // The refresh lock is released as the miss completes; only the entry remains.
        var keys = await Eventually.Until(() => Redis.KeysAsync(Prefix), k => k.Length <= 1, "only the entry key under the prefix");
        Assert.Equal([Prefix + "{ranking:slices}:entry"], keys);
    }

    [Fact]
    public async Task A_client_that_accepts_br_gets_the_same_ranking_compressed_once_per_entry_and_limit()
    {
        await Database.SeedAsync("zipped", 120);
        var identity = await Client.GetAnswerAsync("/ranking/zipped");

        foreach (var path in new[] { "/ranking/zipped", "/ranking/zipped?limit=5" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.AcceptEncoding.ParseAdd("gzip, br");
            using var response = await Client.SendAsync(request);
            Assert.Equal("FRESH", response.Headers.GetValues("X-Cache-Status").Single());
            Assert.Equal("br", response.Content.Headers.ContentEncoding.Single());
            Assert.EndsWith("-br\"", response.Headers.ETag!.Tag);
            Assert.Contains("Accept-Encoding", response.Headers.Vary);

            await using var body = new System.IO.Compression.BrotliStream(await response.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
            var document = await JsonDocument.ParseAsync(body);
            var expected = path.EndsWith("=5", StringComparison.Ordinal) ? identity.UserIds[..5] : identity.UserIds;
            Assert.Equal(expected, document.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("userId").GetString()));
        }
    }

    private static int[] Ranks(Answer answer) =>
        answer.Json.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("rank").GetInt32()).ToArray();

    private static long[] Scores(Answer answer) =>
        answer.Json.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("score").GetInt64()).ToArray();
}
