
namespace Ranking.Gateway.Caching.FreshnessPolicies;

/// <summary>
/// Queue: the producer knows which groups changed, so while it vouches (<see cref="QueueVouch"/>) an entry is correct
/// however old it is: it is answered FRESH and never recomputed just because time passed; a changed group's entry is
/// replaced by the consumers. Entries therefore stay in Redis for <c>RetainFor</c> after they were written, not just
/// to the end of their stale-if-error window. When the producer's word lapses (it stopped, the database went away, the
/// consumers fell behind), an entry ages into the lazy path from the last moment the producer vouched for it, not from
/// when it was computed: it is FRESH for its fresh window after that, then STALE and refreshed, and while the origin
/// fails it stands in for its stale-if-error window after that moment (the availability rule,
/// <see cref="IFreshnessPolicy.StandsInUntil"/>). So a lapse never turns an unchanged group into a synchronous miss.
/// </summary>
internal sealed class QueueFreshness(QueueVouch vouch, TimeSpan retainFor) : IFreshnessPolicy
{
    public Freshness Judge(CacheEntry entry, DateTimeOffset now)
    {
        if (!IsVouchable(entry))
        {
            return LazyFreshness.Instance.Judge(entry, now);
        }

        return vouch.Covers(now) ? Freshness.Fresh : LazyFreshness.Instance.Judge(entry, now - (KnownGoodAt(entry, now) - entry.GeneratedAt));
    }

    public TimeSpan TimeToLive(CacheEntry entry, DateTimeOffset now)
    {
        var own = EntryFactory.TimeToLive(entry, now);
        return IsVouchable(entry) && retainFor > own ? retainFor : own;
    }

    /// <summary>The last moment the producer vouched for the entry (never later than now), or when it was computed if later.</summary>
    public DateTimeOffset KnownGoodAt(CacheEntry entry, DateTimeOffset now) =>
        IsVouchable(entry) && vouch.Until is { } until && until > entry.GeneratedAt
            ? (until < now ? until : now)
            : entry.GeneratedAt;

    /// <summary>
    /// Not a negative answer (those keep their short window), and not revoked: a group whose queued recompute went to
    /// the dead-letter stream has its entry's fresh window cut to nothing, so readers see it STALE, not FRESH.
    /// </summary>
    private static bool IsVouchable(CacheEntry entry) => entry.StaleUntil > entry.FreshUntil && entry.FreshUntil > entry.GeneratedAt;
}
