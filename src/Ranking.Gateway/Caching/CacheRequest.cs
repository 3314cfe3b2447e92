namespace Ranking.Gateway.Caching;

/// <summary>
/// A read through the cache. <paramref name="Fetch"/> may run in the background after the client has gone,
/// so it must not capture the request, its HttpContext or its cancellation token.
/// </summary>
internal sealed record CacheRequest(string Key, string PolicyName, CachePolicy Policy, Func<CancellationToken, Task<OriginResponse>> Fetch);

/// <summary>The entry that answers a read and how it was obtained.</summary>
internal readonly record struct CacheLookup(CacheEntry Entry, CacheStatus Status);
