namespace Ranking.Gateway.Caching;

/// <summary>
/// Lifetimes and limits of one kind of cached answer, bound from <c>Gateway:Policies:{name}</c>.
/// Defaults follow "rankings may lag one minute".
/// </summary>
public sealed record CachePolicy
{
    /// <summary>How long an entry is served as FRESH.</summary>
    public TimeSpan Fresh { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Up to this much is added to <see cref="Fresh"/> at random, so keys do not expire together.</summary>
    public TimeSpan FreshJitter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long after the fresh window an entry is still served (STALE) while it is refreshed.</summary>
    public TimeSpan Stale { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long after the fresh window an entry may stand in for a failing origin.</summary>
    public TimeSpan StaleIfError { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long a "not found" answer is cached.</summary>
    public TimeSpan Negative { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an instance keeps an entry in memory before reading Redis again (0 = no L1).</summary>
    public TimeSpan L1 { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Expiry of the per-key refresh lock; must outlast <see cref="OriginTimeout"/>.</summary>
    public TimeSpan LockExpiry { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a miss waits for another instance's fetch before fetching itself, without storing.</summary>
    public TimeSpan MissWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one origin call may take.</summary>
    public TimeSpan OriginTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After a failed background refresh, how long this instance waits before trying that key again.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Origin fetches one instance runs at once for this policy (misses and refreshes); a bulkhead, so a flood of misses
    /// (unknown ids, a cold cache) cannot take every database connection.
    /// </summary>
    public int MaxConcurrentFetches { get; init; } = 32;

    /// <summary>Fetches that may wait for a slot; past that a miss is answered 503 at once.</summary>
    public int MaxQueuedFetches { get; init; } = 32;

    /// <summary>Sent as <c>Retry-After</c> when the origin fails and nothing cached can answer.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(5);

    // Configuration binding appends to an array's initial items, so list defaults apply only when none are given.
    private static readonly int[] DefaultCacheable = [200];
    private static readonly int[] DefaultNegative = [404];

    /// <summary>Origin status codes that are cached for the full lifetime; none listed means 200.</summary>
    public int[] CacheableStatuses { get; init; } = [];

    /// <summary>
    /// Origin status codes cached for <see cref="Negative"/> only; none listed means 404. A <see cref="Negative"/>
    /// of zero turns negative caching off.
    /// </summary>
    public int[] NegativeStatuses { get; init; } = [];

    /// <summary>
    /// Proxied routes: the query parameters that are part of the cache key and forwarded to the upstream.
    /// Any other parameter is ignored for the key and not forwarded, so random query strings cannot multiply keys.
    /// </summary>
    public string[] QueryKeys { get; init; } = [];

    /// <summary>
    /// Proxied routes: request headers that are part of the cache key and forwarded. An upstream answer that
    /// varies on any other header (<c>Vary</c>) is not stored.
    /// </summary>
    public string[] VaryByHeaders { get; init; } = [];

    /// <summary>
    /// Proxied routes: whether requests carrying <c>Authorization</c> may be answered from the shared cache.
    /// Set it only when the upstream answers every authorized caller alike.
    /// </summary>
    public bool CacheAuthorized { get; init; }

    /// <summary>Proxied routes: larger upstream answers are passed through, not stored.</summary>
    public int MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>Whether answers with this status may be stored at all (fully, or as a negative answer): the one rule for both front doors.</summary>
    internal bool Keeps(int status) => IsCacheable(status) || IsNegative(status);

    internal bool IsCacheable(int status) => (CacheableStatuses is [] ? DefaultCacheable : CacheableStatuses).Contains(status);

    internal bool IsNegative(int status) =>
        Negative > TimeSpan.Zero && (NegativeStatuses is [] ? DefaultNegative : NegativeStatuses).Contains(status);
}
