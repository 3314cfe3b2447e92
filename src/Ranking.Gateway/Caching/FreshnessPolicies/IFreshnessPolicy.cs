namespace Ranking.Gateway.Caching.FreshnessPolicies;

/// <summary>
/// How a read treats a cached entry: answered FRESH or STALE, or not usable at all (a miss), and whether a
/// background refresh starts. The refresh mode decides it; the read path is the same in every mode.
/// </summary>
internal interface IFreshnessPolicy
{
    Freshness Judge(CacheEntry entry, DateTimeOffset now);

    /// <summary>How long Redis keeps an entry stored now: by default, to the end of its stale-if-error window.</summary>
    TimeSpan TimeToLive(CacheEntry entry, DateTimeOffset now) => EntryFactory.TimeToLive(entry, now);

    /// <summary>
    /// When the entry was last known good: computed (or revalidated, which rewrites it), or vouched for by a refresh mode
    /// that knows it did not change. By default, when it was computed.
    /// </summary>
    DateTimeOffset KnownGoodAt(CacheEntry entry, DateTimeOffset now) => entry.GeneratedAt;

    /// <summary>
    /// The availability rule every mode keeps: while the origin fails, a cached entry stands in (STALE) until its
    /// stale-if-error window ends, counted from when it was last known good, never from when it was computed alone.
    /// </summary>
    DateTimeOffset StandsInUntil(CacheEntry entry, DateTimeOffset now) => entry.ErrorUntil + (KnownGoodAt(entry, now) - entry.GeneratedAt);
}

/// <summary>A verdict on one entry at one moment. A null <paramref name="Status"/> means the entry cannot answer.</summary>
internal readonly record struct Freshness(CacheStatus? Status, bool Refresh)
{
    public static Freshness Fresh => new(CacheStatus.Fresh, false);

    /// <summary>Answered FRESH, and refreshed in the background ahead of time.</summary>
    public static Freshness FreshRefreshing => new(CacheStatus.Fresh, true);

    public static Freshness Stale => new(CacheStatus.Stale, true);

    public static Freshness Unusable => new(null, false);

    /// <summary>Answered from the origin, waited for.</summary>
    public static Freshness Miss => new(CacheStatus.Miss, false);

    /// <summary>Answered from the origin without Redis.</summary>
    public static Freshness Bypass => new(CacheStatus.Bypass, false);

    /// <summary>An expired copy standing in for a failing origin: STALE, with no refresh of its own.</summary>
    public static Freshness StandIn => new(CacheStatus.Stale, false);

    public bool IsUsable => Status is not null;
}
