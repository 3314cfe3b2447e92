using System.Text.Json;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Ranking;

/// <summary>The answers cached for a group: its Top-100 as JSON, or a 404 problem when it has no scores.</summary>
internal static class RankingResponses
{
    public const string ContentType = "application/json; charset=utf-8";

    public static OriginResponse Of(RankingDocument document) =>
        new(200, ContentType, JsonSerializer.SerializeToUtf8Bytes(document, RankingJsonContext.Default.RankingDocument), [], GeneratedAt: document.GeneratedAt);

    /// <summary>
    /// The document as an answer, or, when <paramref name="previous"/> ranks the same users with the same scores, the
    /// previous answer's very bytes (its <c>generatedAt</c> says when this ranking was first computed): the cache then
    /// keeps its body and ETag, and clients holding that ETag keep getting 304s.
    /// </summary>
    public static OriginResponse Of(RankingDocument document, CacheEntry? previous)
    {
        var answer = Of(document);
        return previous is { StatusCode: 200 } && SameEntries(previous.Body, answer.Body) ? answer with { Body = previous.Body } : answer;
    }

    // Both bodies are this class's serialization: group, generatedAt, then the entries; only the entries are compared.
    private static bool SameEntries(byte[] previous, byte[] current)
    {
        var before = previous.AsSpan().IndexOf(EntriesName);
        var now = current.AsSpan().IndexOf(EntriesName);
        return before >= 0 && now >= 0 && previous.AsSpan(before).SequenceEqual(current.AsSpan(now))
            && previous.AsSpan(0, previous.AsSpan().IndexOf(GeneratedAtName)).SequenceEqual(current.AsSpan(0, current.AsSpan().IndexOf(GeneratedAtName)));
    }

    private static ReadOnlySpan<byte> EntriesName => "\"entries\":"u8;

    private static ReadOnlySpan<byte> GeneratedAtName => "\"generatedAt\":"u8;

    public static OriginResponse NotFound(string group)
    {
        var problem = new { type = "https://tools.ietf.org/html/rfc9110#section-15.5.5", title = "Unknown group", status = 404, detail = $"No ranking exists for group '{group}'." };
        return new OriginResponse(404, "application/problem+json", JsonSerializer.SerializeToUtf8Bytes(problem), []);
    }
}
