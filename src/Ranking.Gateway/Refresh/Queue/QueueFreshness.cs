using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// Queue: the producer knows which groups changed, so while it vouches (<see cref="QueueVouch"/>) an entry is correct
/// however old it is: it is answered FRESH and never recomputed just because time passed; a changed group's entry is
/// replaced by the consumers. Entries therefore stay in Redis for <c>RetainFor</c> after they were written, not just
/// to the end of their stale-if-error window. Without the producer's word, entries age into the lazy path.
/// </summary>
internal sealed class QueueFreshness(QueueVouch vouch, TimeSpan retainFor) : IFreshnessPolicy
{
    public Freshness Judge(CacheEntry entry, DateTimeOffset now) =>
        vouch.Covers(now) && IsVouchable(entry) ? Freshness.Fresh : LazyFreshness.Instance.Judge(entry, now);

    public TimeSpan TimeToLive(CacheEntry entry, DateTimeOffset now)
    {
        var own = EntryFactory.TimeToLive(entry, now);
        return IsVouchable(entry) && retainFor > own ? retainFor : own;
    }

    /// <summary>
    /// Not a negative answer (those keep their short window), and not revoked: a group whose queued recompute went to
    /// the dead-letter stream has its entry's fresh window cut to nothing, so readers see it STALE, not FRESH.
    /// </summary>
    private static bool IsVouchable(CacheEntry entry) => entry.StaleUntil > entry.FreshUntil && entry.FreshUntil > entry.GeneratedAt;
}
