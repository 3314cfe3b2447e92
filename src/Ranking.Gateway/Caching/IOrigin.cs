namespace Ranking.Gateway.Caching;

/// <summary>
/// Where an answer comes from when the cache has none to give: the ranking store for the ranking endpoint, a route's
/// upstream for a cached proxy route. Failures an origin can be expected to have (down, timed out, overloaded) are
/// returned as <see cref="OriginResult"/> values; the caller (<see cref="OriginCaller"/>) turns anything thrown into one too.
/// </summary>
internal interface IOrigin
{
    /// <summary>
    /// Copies out of a read what a fetch for it needs. Called while the reader's request is alive; the copy may outlive
    /// it (a background refresh, a miss other readers wait on), so it must not hold the request or its HttpContext.
    /// By default the read's <see cref="CacheRequest.Target"/> is such a copy already (a ranking group id).
    /// </summary>
    object Capture(in CacheRequest read, FetchReason reason) => read.Target;

    Task<OriginResult> FetchAsync(OriginRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Whether a reader whose load came to an answer the cache may not keep is answered by passing its own request to the
    /// origin (a proxied route: <see cref="CacheLookup.Shareable"/> false), rather than by a fetch of its own.
    /// </summary>
    bool PassesThrough => false;
}
