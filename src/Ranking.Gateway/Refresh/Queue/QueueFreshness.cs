using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// Queue: the producer knows which groups changed, so while it vouches (<see cref="QueueVouch"/>) an entry is correct
/// however old it is and is answered FRESH; a changed group's entry is replaced by the consumers. Past the entry's own
/// stale window it is still FRESH but refreshed once in the background, which bounds the age of a change the producer
/// cannot see (a writer that neither sets <c>updated_at</c> nor marks the group dirty) and keeps a read entry from
/// expiring out of Redis. Without the producer's word, entries age into the lazy path.
/// </summary>
internal sealed class QueueFreshness(QueueVouch vouch) : IFreshnessPolicy
{
    public Freshness Judge(CacheEntry entry, DateTimeOffset now)
    {
        if (!vouch.Covers(now) || !IsVouchable(entry) || now >= entry.ErrorUntil)
        {
            return LazyFreshness.Instance.Judge(entry, now);
        }

        return now < entry.StaleUntil ? Freshness.Fresh : Freshness.FreshRefreshing;
    }

    /// <summary>
    /// Not a negative answer (those keep their short window), and not revoked: a group whose queued recompute went to
    /// the dead-letter stream has its entry's fresh window cut to nothing, so readers see it STALE, not FRESH.
    /// </summary>
    private static bool IsVouchable(CacheEntry entry) => entry.StaleUntil > entry.FreshUntil && entry.FreshUntil > entry.GeneratedAt;
}
