
namespace Ranking.Gateway.Caching.FreshnessPolicies;

/// <summary>
/// CompetingLocks: the walkers rewrite every group once a period, at a random point in it, so two rewrites can be up to
/// two periods apart. An entry is therefore fresh for two periods (or its own fresh window, if longer); only when the
/// walkers stop does it go stale and fall back to the lazy path. Negative answers keep their own short window.
/// </summary>
internal sealed class WalkFreshness(TimeSpan period) : IFreshnessPolicy
{
    public Freshness Judge(CacheEntry entry, DateTimeOffset now)
    {
        var isNegative = entry.StaleUntil == entry.FreshUntil;
        if (isNegative || now >= entry.ErrorUntil)
        {
            return LazyFreshness.Instance.Judge(entry, now);
        }

        var walkedUntil = entry.GeneratedAt + (2 * period);
        return now < walkedUntil ? Freshness.Fresh : LazyFreshness.Instance.Judge(entry, now);
    }
}
