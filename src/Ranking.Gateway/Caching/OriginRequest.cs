namespace Ranking.Gateway.Caching;

/// <summary>
/// One origin call: the cache key it fills, its policy, and what the origin captured of the read that needs it
/// (<see cref="IOrigin.Capture"/>): a group id, or a proxied route's fill request. <paramref name="Previous"/> is the
/// stored entry the call replaces, when there is one: an upstream is asked to revalidate it (<c>If-None-Match</c>,
/// <c>If-Modified-Since</c>), and an answer with the same body keeps its bytes.
/// </summary>
internal readonly record struct OriginRequest(string Key, CachePolicy Policy, object Target, FetchReason Reason, CacheEntry? Previous = null);
