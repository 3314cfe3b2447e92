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

    /// <summary>
    /// How long an instance keeps a load in memory before reading Redis again, when the load is not a FRESH entry (or
    /// is one about to turn); 0 = no L1. A FRESH entry is kept until its fresh window ends, at most <see cref="L1Max"/>:
    /// a change anywhere drops every copy (pub/sub).
    /// </summary>
    public TimeSpan L1 { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest an instance keeps a FRESH entry in memory (set it to <see cref="L1"/> for a fixed lifetime).</summary>
    public TimeSpan L1Max { get; init; } = TimeSpan.FromMinutes(5);

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

    /// <summary>
    /// Fetches that may wait for a slot; past that a miss is answered 503 at once. A fetch waits for its slot at most
    /// <see cref="OriginTimeout"/>, then is turned away the same way, so a long queue costs a stuck origin's readers no
    /// more than one timeout. Long by default: a cold cache at full load makes every read a miss at once (measured: 53 to
    /// 1,125 reads answered 503 in the first seconds with 32, none with 512; loadtests/MODES.md).
    /// </summary>
    public int MaxQueuedFetches { get; init; } = 1024;

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
    /// Proxied routes: the query parameters that are part of the cache key and forwarded to the upstream, or <c>*</c>
    /// for all of them (sorted by name, so the order a client sends them in does not make another key). Any other
    /// parameter is handled as <see cref="UnlistedQuery"/> says.
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

    /// <summary>
    /// Proxied routes: where an answer's lifetimes come from. <see cref="FreshnessSource.Upstream"/> (the default): from
    /// the upstream's headers (RFC 9111), with this policy's windows as upper bounds and as the answer where the upstream
    /// says nothing. <see cref="FreshnessSource.Policy"/>: from this policy alone, whatever the upstream says about
    /// freshness (nginx <c>proxy_ignore_headers Cache-Control Expires</c> with <c>proxy_cache_valid</c>); what it says
    /// about storing (<c>no-store</c>, <c>private</c>) still holds. The ranking endpoint always uses the policy's windows.
    /// </summary>
    public FreshnessSource Freshness { get; init; } = FreshnessSource.Upstream;

    /// <summary>
    /// Proxied routes, <see cref="FreshnessSource.Upstream"/>: the freshness of an answer that gives none (no
    /// <c>max-age</c>, <c>s-maxage</c> or <c>Expires</c>), for statuses RFC 9110 calls heuristically cacheable (or a
    /// <c>public</c> answer): <see cref="HeuristicFreshness.Policy"/> (the default), this policy's <see cref="Fresh"/>;
    /// <see cref="HeuristicFreshness.LastModified"/>, 10% of its age by <c>Last-Modified</c>, at most <see cref="Fresh"/>;
    /// <see cref="HeuristicFreshness.None"/>, none (such an answer is kept only to be revalidated, when it has validators).
    /// </summary>
    public HeuristicFreshness Heuristic { get; init; } = HeuristicFreshness.Policy;

    /// <summary>
    /// Proxied routes, <see cref="FreshnessSource.Upstream"/>: serve an answer stale (while revalidating, or standing in
    /// for a failing upstream) only where its own <c>stale-while-revalidate</c> / <c>stale-if-error</c> allow it, as RFC
    /// 9111 §4.2.4 reads without an operator's say. Off by default: an answer that says nothing about stale serving
    /// gets this policy's <see cref="Stale"/> and <see cref="StaleIfError"/>.
    /// </summary>
    public bool StaleRequiresDirective { get; init; }

    /// <summary>
    /// Proxied routes: targeted cache-control fields (RFC 9213) this cache obeys, comma-separated, first present and
    /// valid one wins; it then replaces <c>Cache-Control</c> and <c>Expires</c> for this cache (they still go downstream
    /// as they came). Empty: none.
    /// </summary>
    public string TargetedCacheControl { get; init; } = "CDN-Cache-Control";

    /// <summary>
    /// Proxied routes: request headers copied from the client's request onto the cache's fills, without being part of
    /// the key (an upstream's tracing or tenant header that does not change the answer). Anything that changes the
    /// answer belongs in <see cref="VaryByHeaders"/> instead. <c>Authorization</c>, <c>Cookie</c> and <c>Host</c> are
    /// refused here.
    /// </summary>
    public string[] ForwardRequestHeaders { get; init; } = [];

    /// <summary>
    /// Proxied routes: what a read with a query parameter not in <see cref="QueryKeys"/> gets.
    /// <see cref="UnlistedQuery.Strip"/> (the default): the parameter is dropped from the key and the fill.
    /// <see cref="UnlistedQuery.Bypass"/>: the read is not cached and goes to the upstream as it came.
    /// </summary>
    public UnlistedQuery UnlistedQuery { get; init; } = UnlistedQuery.Strip;

    /// <summary>
    /// Proxied routes: store an answer that sets a cookie, and replay its <c>Set-Cookie</c> to every client. Off by
    /// default (such an answer goes to the one client that asked): set it only for cookies that are the same for all.
    /// </summary>
    public bool StoreSetCookie { get; init; }

    /// <summary>
    /// Admission (like nginx <c>proxy_cache_min_uses</c>): a key is stored only once it has been asked this many times
    /// within <see cref="MinUsesWindow"/>; reads before that go to the origin without storing. 1 (the default) stores at
    /// the first read.
    /// </summary>
    public int MinUses { get; init; } = 1;

    /// <summary>The window <see cref="MinUses"/> counts in.</summary>
    public TimeSpan MinUsesWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The header that carries an entry's tags (<see cref="EntryTags"/>): read from a proxied upstream's answer (and not
    /// replayed as it came), and written on answers when <see cref="SendTags"/> is on. <c>Surrogate-Key</c> (Fastly,
    /// Varnish xkey) by default; <c>Cache-Tag</c> for Cloudflare.
    /// </summary>
    public string TagHeader { get; init; } = "Surrogate-Key";

    /// <summary>
    /// Send an answer's tags downstream in <see cref="TagHeader"/> (a ranking answer's are its group), so a CDN in front
    /// can be purged by the same tags. Off by default.
    /// </summary>
    public bool SendTags { get; init; }

    /// <summary>
    /// A header telling a CDN in front how long it may keep an answer, <c>max-age</c> = the gateway's own remaining
    /// freshness (never longer; 0 for a STALE answer): <c>CDN-Cache-Control</c> (RFC 9213) or <c>Surrogate-Control</c>.
    /// It replaces the upstream's header of that name. Empty (the default): none.
    /// </summary>
    public string DownstreamCacheControl { get; init; } = "";

    /// <summary>Whether <see cref="QueryKeys"/> is <c>*</c>: every parameter is part of the key, in a canonical order.</summary>
    internal bool AllQueryKeys => QueryKeys is ["*"];

    /// <summary>Whether answers with this status may be stored at all (fully, or as a negative answer): the one rule for both front doors.</summary>
    internal bool Keeps(int status) => IsCacheable(status) || IsNegative(status);

    internal bool IsCacheable(int status) => (CacheableStatuses is [] ? DefaultCacheable : CacheableStatuses).Contains(status);

    internal bool IsNegative(int status) =>
        Negative > TimeSpan.Zero && (NegativeStatuses is [] ? DefaultNegative : NegativeStatuses).Contains(status);
}

/// <summary>Where a proxied route's entry lifetimes come from (<see cref="CachePolicy.Freshness"/>).</summary>
public enum FreshnessSource
{
    Upstream,
    Policy,
}

/// <summary>Freshness for an upstream answer that gives none (<see cref="CachePolicy.Heuristic"/>).</summary>
public enum HeuristicFreshness
{
    Policy,
    LastModified,
    None,
}

/// <summary>What a read with a query parameter the key does not list gets (<see cref="CachePolicy.UnlistedQuery"/>).</summary>
public enum UnlistedQuery
{
    Strip,
    Bypass,
}
