namespace Ranking.Gateway.Caching;

/// <summary>Why the cache asks an origin: a reader is waiting for the answer, or nobody is (a background refresh).</summary>
internal enum FetchReason
{
    /// <summary>A miss: the reader that triggered it is waiting and may be handed an answer the cache cannot keep.</summary>
    Miss,

    /// <summary>A background refresh: no reader waits, and no reader's connection details may reach the origin.</summary>
    Refresh,
}
