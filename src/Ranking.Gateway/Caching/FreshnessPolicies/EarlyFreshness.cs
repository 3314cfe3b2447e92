
namespace Ranking.Gateway.Caching.FreshnessPolicies;

/// <summary>
/// Probabilistic early refresh, XFetch (Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic Cache Stampede
/// Prevention", VLDB 2015): a FRESH hit refreshes in the background when <c>now − Δ·β·ln(U) ≥ freshUntil</c>, U uniform
/// in (0, 1] and Δ the time the entry took to compute. The chance rises as expiry nears and starts earlier for slow
/// recomputes, so a group read often is refreshed before it goes stale and a group read rarely costs nothing. The
/// refresh itself is the read path's: one per key across instances, under the key's lock.
/// </summary>
internal sealed class EarlyFreshness(double beta) : IFreshnessPolicy
{
    public Freshness Judge(CacheEntry entry, DateTimeOffset now)
    {
        if (now >= entry.FreshUntil)
        {
            return LazyFreshness.Instance.Judge(entry, now);
        }

        var lead = entry.Duration.TotalSeconds * beta * -Math.Log(1.0 - Random.Shared.NextDouble());
        return now.AddSeconds(lead) >= entry.FreshUntil ? Freshness.FreshRefreshing : Freshness.Fresh;
    }
}
