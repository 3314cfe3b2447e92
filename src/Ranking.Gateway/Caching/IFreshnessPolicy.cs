namespace Ranking.Gateway.Caching;

/// <summary>
/// How a read treats a cached entry: answered FRESH or STALE, or not usable at all (a miss), and whether a
/// background refresh starts. The refresh mode decides it; the read path is the same in every mode.
/// </summary>
internal interface IFreshnessPolicy
{
    Freshness Judge(CacheEntry entry, DateTimeOffset now);

    /// <summary>How long Redis keeps an entry stored now: by default, to the end of its stale-if-error window.</summary>
    TimeSpan TimeToLive(CacheEntry entry, DateTimeOffset now) => EntryFactory.TimeToLive(entry, now);
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
