using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Ranking;

/// <summary>
/// A smaller <c>limit</c> is sliced from the cached Top-100, so limits do not multiply cache keys. Each slice
/// is made once per entry and lives as long as the entry does, so a hit with a limit costs no JSON work.
/// </summary>
internal static class RankingSlices
{
    private static readonly ConditionalWeakTable<CacheEntry, ConcurrentDictionary<int, Slice>> Slices = [];

    public static Slice Of(CacheEntry entry, int limit) =>
        Slices.GetValue(entry, static _ => new()).GetOrAdd(limit, static (limit, entry) =>
        {
            var document = JsonSerializer.Deserialize(entry.Body, RankingJsonContext.Default.RankingDocument)!;
            var body = JsonSerializer.SerializeToUtf8Bytes(document.Take(limit), RankingJsonContext.Default.RankingDocument);
            return new Slice(body, entry.ETag.Insert(entry.ETag.Length - 1, $"-{limit}"));
        }, entry);

    internal sealed record Slice(byte[] Body, string ETag);
}
