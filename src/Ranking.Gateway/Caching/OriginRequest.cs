namespace Ranking.Gateway.Caching;

/// <summary>
/// One origin call: the cache key it fills, its policy, and what the origin captured of the read that needs it
/// (<see cref="IOrigin.Capture"/>): a group id, or a proxied route's fill request.
/// </summary>
internal readonly record struct OriginRequest(string Key, CachePolicy Policy, object Target, FetchReason Reason);
