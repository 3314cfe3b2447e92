using System.Security.Cryptography;

namespace Ranking.Gateway.Caching;

/// <summary>Turns an origin's answer into a cache entry with the policy's lifetimes.</summary>
internal static class EntryFactory
{
    /// <param name="startedAt">
    /// When the origin call started, the entry's generatedAt (its data is at least that new, and the compare-and-set
    /// orders entries by it), unless the origin says its data is older: then its age, and its lifetimes, count from
    /// then, as a cache counts an upstream answer's age (RFC 9111 §4.2.3).
    /// </param>
    /// <returns>The entry, and whether it may be stored (the origin allows it and the status is cacheable).</returns>
    public static (CacheEntry Entry, bool Storable) Create(CachePolicy policy, OriginResponse response, DateTimeOffset startedAt, TimeSpan duration)
    {
        var generatedAt = response.GeneratedAt is { } said && said < startedAt ? said : startedAt;
        var negative = policy.IsNegative(response.StatusCode);
        var storable = response.Storable && policy.Keeps(response.StatusCode);
        var fresh = negative ? policy.Negative : policy.Fresh + Jitter(policy.FreshJitter);
        var freshUntil = generatedAt + fresh;
        var staleUntil = negative ? freshUntil : freshUntil + policy.Stale;
        var errorUntil = negative ? freshUntil : freshUntil + policy.StaleIfError;
        var entry = new CacheEntry(
            response.StatusCode,
            response.ContentType,
            response.Body,
            ETagOf(response.Body),
            response.Headers,
            generatedAt,
            freshUntil,
            staleUntil,
            errorUntil,
            duration);
        return (entry, storable);
    }

    /// <summary>Stands for no answer at all, where an entry is required but there is none to give.</summary>
    public static CacheEntry Nothing { get; } = new(0, "", [], "", [], DateTimeOffset.MinValue, DateTimeOffset.MinValue, DateTimeOffset.MinValue, DateTimeOffset.MinValue);

    /// <summary>How long Redis keeps an entry: to the end of its stale-if-error window, and a little more.</summary>
    public static TimeSpan TimeToLive(CacheEntry entry, DateTimeOffset now) => entry.ErrorUntil - now + TimeSpan.FromSeconds(5);

    private static TimeSpan Jitter(TimeSpan max) =>
        max <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * max.TotalMilliseconds);

    private static string ETagOf(byte[] body) => $"\"{Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 12))}\"";
}
