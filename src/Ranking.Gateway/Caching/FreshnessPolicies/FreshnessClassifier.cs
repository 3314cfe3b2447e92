namespace Ranking.Gateway.Caching.FreshnessPolicies;

/// <summary>
/// The behaviour table of the read path (docs/DESIGN.md) as one pure function: how a read answers with an entry it got from
/// the L1 or from a load, at <c>now</c>. No I/O, no clock of its own.
/// </summary>
internal static class FreshnessClassifier
{
    /// <param name="source">Where the entry came from.</param>
    /// <param name="waitedForLoad">This read waited for the load that produced the entry (rather than finding it in L1).</param>
    /// <param name="judge">The refresh mode's view of FRESH and STALE.</param>
    /// <returns>The verdict; <see cref="Freshness.Unusable"/> when the entry may not answer (load again).</returns>
    public static Freshness Classify(LoadSource source, CacheEntry entry, bool waitedForLoad, IFreshnessPolicy judge, DateTimeOffset now) => source switch
    {
        // BYPASS: Redis was unavailable; the origin's answer serves this instance while it is fresh.
        LoadSource.Bypass when now < entry.FreshUntil => Freshness.Bypass,

        // The origin failed: an expired copy stands in until its stale-if-error window ends (RFC 5861).
        LoadSource.StaleIfError when now < judge.StandsInUntil(entry, now) => Freshness.StandIn,

        // MISS: the read waited for the origin.
        LoadSource.Origin or LoadSource.Unadmitted when waitedForLoad => Freshness.Miss,

        // FRESH or STALE (with a background refresh), or too old to answer.
        LoadSource.Cache or LoadSource.Origin => judge.Judge(entry, now),
        _ => Freshness.Unusable,
    };
}
