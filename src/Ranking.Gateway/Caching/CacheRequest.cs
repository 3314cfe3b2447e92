namespace Ranking.Gateway.Caching;

/// <summary>
/// A read through the cache. <paramref name="Fetch"/> may run in the background after the client has gone
/// (<see cref="FetchReason.Refresh"/>), so it must not capture the request, its HttpContext or its cancellation token. <paramref name="Freshness"/> judges
/// the entries it finds (the refresh mode's; the entry's own windows when null).
/// </summary>
internal sealed record CacheRequest(
    string Key,
    string PolicyName,
    CachePolicy Policy,
    Func<FetchReason, CancellationToken, Task<OriginResponse>> Fetch,
    IFreshnessPolicy? Freshness = null)
{
    public Freshness Judge(CacheEntry entry, DateTimeOffset now) => (Freshness ?? LazyFreshness.Instance).Judge(entry, now);

    public TimeSpan TimeToLive(CacheEntry entry, DateTimeOffset now) => (Freshness ?? LazyFreshness.Instance).TimeToLive(entry, now);
}

/// <summary>
/// The entry that answers a read and how it was obtained. When <paramref name="Shareable"/> is false the origin
/// forbade caching the answer and the caller must obtain its own (a proxy forwards the client's request).
/// <paramref name="Stored"/> says whether the answer is in the shared cache (a miss that waited too long for another
/// instance fetches its own answer and does not store it).
/// </summary>
internal readonly record struct CacheLookup(CacheEntry Entry, CacheStatus Status, bool Shareable = true, bool Stored = true);
