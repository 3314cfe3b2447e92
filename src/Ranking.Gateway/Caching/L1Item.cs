using System.ComponentModel;

namespace Ranking.Gateway.Caching;

/// <summary>Where a loaded entry came from, which decides how a read may use it (<see cref="FreshnessClassifier"/>).</summary>
internal enum LoadSource
{
    /// <summary>Found in Redis.</summary>
    Cache,

    /// <summary>Fetched from the origin now (by this instance, or by another whose entry this one waited for).</summary>
    Origin,

    /// <summary>The origin failed and an expired copy stands in, within its stale-if-error window.</summary>
    StaleIfError,

    /// <summary>Fetched from the origin without Redis (it is unavailable).</summary>
    Bypass,

    /// <summary>The origin forbade storing it: it answers only the readers that waited on this load.</summary>
    Uncacheable,

    /// <summary>Fetched, but its key has not been asked often enough to be stored (<c>MinUses</c>): it answers only this load's readers.</summary>
    Unadmitted,

    /// <summary>The origin failed and nothing may stand in: every reader that waited on this load fails.</summary>
    Failed,
}

/// <summary>
/// One load's result, as the in-process L1 keeps it: the entry, where it came from, whether it is in the shared cache,
/// and for a failed load, the failure. Immutable, and marked so: HybridCache then hands every reader this very
/// instance instead of a copy.
/// </summary>
[ImmutableObject(true)]
internal sealed record L1Item(CacheEntry Entry, LoadSource Source, bool Stored = true, OriginFailure? Failure = null)
{
    /// <summary>What the entry's bytes in Redis hash to, when it was read from there (<see cref="Redis.RedisEntryStore.DigestAsync"/>).</summary>
    public string? Digest { get; init; }

    /// <summary>Whether later readers may be answered with it (a verdict about one load answers only its own readers).</summary>
    public bool Keepable => Source is not (LoadSource.Uncacheable or LoadSource.Unadmitted or LoadSource.Failed);

    public static L1Item Failing(OriginFailure failure) => new(EntryFactory.Nothing, LoadSource.Failed, Stored: false, failure);
}
