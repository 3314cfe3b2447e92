namespace Ranking.Gateway.Refresh;

/// <summary>How cached rankings are kept fresh: the source document's three architectures, and one beyond it.</summary>
public enum RefreshMode
{
    /// <summary>Architecture 3: refreshed on read once stale, by the instance that saw it, under a lock.</summary>
    Lazy,

    /// <summary>Architecture 1: every instance walks all groups each period; a per-group lock picks who recomputes.</summary>
    CompetingLocks,

    /// <summary>Architecture 2: one elected producer queues changed groups; every instance consumes, in batches.</summary>
    Queue,

    /// <summary>
    /// Lazy, plus probabilistic early refresh (XFetch) on FRESH hits: a group read many times per query time is refreshed
    /// before it goes stale; with β = 1 and a fast query that is rare, and the mode measures as Lazy (loadtests/MODES.md).
    /// </summary>
    Early,
}
