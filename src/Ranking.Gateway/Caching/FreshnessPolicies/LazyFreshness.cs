namespace Ranking.Gateway.Caching.FreshnessPolicies;

/// <summary>Stale-while-revalidate as the entry's own windows say: fresh, then stale and refreshed, then gone.</summary>
internal sealed class LazyFreshness : IFreshnessPolicy
{
    public static LazyFreshness Instance { get; } = new();

    public Freshness Judge(CacheEntry entry, DateTimeOffset now) =>
        now < entry.FreshUntil ? Freshness.Fresh
        : now < entry.StaleUntil ? Freshness.Stale
        : Freshness.Unusable;
}
