using System.ComponentModel;

namespace Ranking.Gateway.Caching;

/// <summary>
/// One cached answer and its lifetime. Immutable, so the in-process L1 can hand out the same instance
/// to every caller without copying.
/// </summary>
/// <param name="ErrorUntil">End of the stale-if-error window (RFC 5861), counted from <paramref name="FreshUntil"/>.</param>
/// <param name="Duration">How long the origin took to produce it (probabilistic early refresh scales by it).</param>
[ImmutableObject(true)]
internal sealed record CacheEntry(
    int StatusCode,
    string ContentType,
    byte[] Body,
    string ETag,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    DateTimeOffset GeneratedAt,
    DateTimeOffset FreshUntil,
    DateTimeOffset StaleUntil,
    DateTimeOffset ErrorUntil,
    TimeSpan Duration = default);
