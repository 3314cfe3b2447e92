using System.Text.Json;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Http;

namespace Ranking.Gateway.Ranking;

/// <summary>
/// A smaller <c>limit</c> is sliced from the cached Top-100, so limits do not multiply cache keys. The first
/// <see cref="KeptPerEntry"/> limits asked of an entry are sliced once and live as long as the entry does, so a hit with
/// a limit costs no JSON work; any further limit is sliced for its request alone, so the memory an entry holds beside
/// what the L1 counts is bounded.
/// </summary>
internal static class RankingSlices
{
    public const int KeptPerEntry = 4;

    /// <summary>The slice's body and ETag, and its compressed copies.</summary>
    public static CompressedVariants Of(CacheEntry entry, int limit)
    {
        var kept = entry.Memo.Slices;
        return kept.TryGetValue(limit, out var slice) ? slice
            : kept.Count < KeptPerEntry ? kept.GetOrAdd(limit, static (limit, entry) => Make(entry, limit), entry)
            : Make(entry, limit);
    }

    private static CompressedVariants Make(CacheEntry entry, int limit)
    {
        var document = JsonSerializer.Deserialize(entry.Body, RankingJsonContext.Default.RankingDocument)!;
        var body = JsonSerializer.SerializeToUtf8Bytes(document.Take(limit), RankingJsonContext.Default.RankingDocument);
        return new CompressedVariants(body, entry.ETag.Insert(entry.ETag.Length - 1, $"-{limit}"));
    }
}
