using Ranking.Gateway.Caching.FreshnessPolicies;

namespace Ranking.Gateway.Caching;

/// <summary>
/// A read through the cache, made per request without allocating: the key, its policy, the origin that can fill it and
/// what that origin needs of the read (<paramref name="Target"/>: the group id, or the proxied request, which the origin
/// copies only when it has to call, <see cref="IOrigin.Capture"/>). <paramref name="Freshness"/> judges the entries it
/// finds (the refresh mode's; the entry's own windows when null).
/// </summary>
internal readonly record struct CacheRequest(
    string Key,
    string PolicyName,
    CachePolicy Policy,
    IOrigin Origin,
    object Target,
    IFreshnessPolicy? Freshness = null)
{
    /// <summary>The refresh mode's view of FRESH and STALE for this read.</summary>
    public IFreshnessPolicy FreshnessPolicy => Freshness ?? LazyFreshness.Instance;

    public Freshness Judge(CacheEntry entry, DateTimeOffset now) => FreshnessPolicy.Judge(entry, now);

    public TimeSpan TimeToLive(CacheEntry entry, DateTimeOffset now) => FreshnessPolicy.TimeToLive(entry, now);

    /// <summary>The origin call this read needs, copied so that it may outlive the reader's request.</summary>
    public OriginRequest Capture(FetchReason reason) => new(Key, Policy, Origin.Capture(this, reason), reason);
}
