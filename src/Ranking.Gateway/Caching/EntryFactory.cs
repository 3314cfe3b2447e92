using System.Security.Cryptography;

namespace Ranking.Gateway.Caching;

/// <summary>
/// Turns an origin's answer into a cache entry: its lifetimes from the policy's windows, or, for a proxied upstream that
/// says how its answer may be cached (<see cref="OriginResponse.Caching"/>, <see cref="FreshnessSource.Upstream"/>),
/// from what it says, with the policy's windows as upper bounds and as the answer where it says nothing.
/// </summary>
internal static class EntryFactory
{
    /// <param name="startedAt">
    /// When the origin call started, the entry's generatedAt: its data is at least that new, the compare-and-set orders
    /// entries by it, and its lifetimes count from it. When the origin says its data is older (an upstream ranking
    /// service's own <c>generatedAt</c>, an upstream's <c>Age</c>), that is the entry's age on arrival, which its
    /// <c>Age</c> header adds up (RFC 9111 §4.2.3); a refresh that brings the same old document is still newer than the
    /// entry it replaces, so it is stored, and a service that caches never makes every read a refresh.
    /// </param>
    /// <returns>The entry, and why it may not be stored (a metric tag), or null when it may.</returns>
    public static (CacheEntry Entry, string? NotStored) Create(CachePolicy policy, OriginResponse response, DateTimeOffset startedAt, TimeSpan duration)
    {
        var generatedAt = startedAt;
        var said = response.GeneratedAt is { } claimed && claimed < startedAt && claimed > Plausible ? startedAt - claimed : TimeSpan.Zero;
        var negative = policy.IsNegative(response.StatusCode);
        var notStored = response.Caching?.NotStorable
            ?? (!response.Storable ? "not-storable" : !policy.Keeps(response.StatusCode) ? "status" : null);
        var http = response.Caching;
        var (fresh, stale, error) = http is not null && policy.Freshness == FreshnessSource.Upstream
            ? Upstream(policy, http, negative)
            : Policy(policy, negative);
        var freshUntil = generatedAt + fresh;
        var entry = new CacheEntry(
            response.StatusCode,
            response.ContentType,
            response.Body,
            response.ETag ?? ETagOf(response.Body),
            response.Headers,
            generatedAt,
            freshUntil,
            freshUntil + stale,
            freshUntil + error,
            duration,
            InitialAge: http?.Age ?? said,
            // Kept to be revalidated (a 304 instead of the whole answer) as long as a stale copy of it could be.
            KeepUntil: http is { HasValidators: true } && !negative ? freshUntil + policy.StaleIfError : default,
            Flags: (http is null ? EntryFlags.None : EntryFlags.UpstreamHeaders) | (response.ETag is null ? EntryFlags.None : EntryFlags.UpstreamETag),
            Tags: response.Tags.Count == 0 ? null : response.Tags);
        return (entry, notStored);
    }

    // A generatedAt before this is no claim at all (a document without one reads as the year 1).
    private static readonly DateTimeOffset Plausible = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Stands for no answer at all, where an entry is required but there is none to give.</summary>
    public static CacheEntry Nothing { get; } = new(0, "", [], "", [], DateTimeOffset.MinValue, DateTimeOffset.MinValue, DateTimeOffset.MinValue, DateTimeOffset.MinValue);

    /// <summary>How long Redis keeps an entry: to the end of its stale-if-error window (or its keep-until), and a little more.</summary>
    public static TimeSpan TimeToLive(CacheEntry entry, DateTimeOffset now) => entry.RetainUntil - now + TimeSpan.FromSeconds(5);

    private static Windows Policy(CachePolicy policy, bool negative) => negative
        ? new Windows(policy.Negative, TimeSpan.Zero, TimeSpan.Zero)
        : new Windows(policy.Fresh + Jitter(policy.FreshJitter), policy.Stale, policy.StaleIfError);

    // RFC 9111 §4.2 within the policy: the upstream's freshness (or the heuristic the policy allows) at most the
    // policy's own; stale only where the upstream does not forbid it, for what it allows or, when it says nothing, the
    // policy's windows. An answer with no freshness at all is kept only to be revalidated (or not at all: UpstreamCaching).
    private static Windows Upstream(CachePolicy policy, HttpCaching http, bool negative)
    {
        var own = Policy(policy, negative);
        var fresh = Within(http.PolicyFresh ? own.Fresh : http.Fresh, own.Fresh);
        if (negative || http.ForbidsStale)
        {
            return new Windows(fresh, TimeSpan.Zero, TimeSpan.Zero);
        }

        var fallback = policy.StaleRequiresDirective ? TimeSpan.Zero : (TimeSpan?)null;
        return new Windows(
            fresh,
            Within(http.StaleWhileRevalidate ?? fallback ?? own.Stale, own.Stale),
            Within(http.StaleIfError ?? fallback ?? own.Error, own.Error));
    }

    private static TimeSpan Within(TimeSpan? value, TimeSpan max) =>
        value is not { } span || span <= TimeSpan.Zero ? TimeSpan.Zero : span < max ? span : max;

    private static TimeSpan Jitter(TimeSpan max) =>
        max <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * max.TotalMilliseconds);

    private static string ETagOf(byte[] body) => $"\"{Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 12))}\"";

    /// <summary>How long an entry is fresh, then served stale while refreshed, then stands in for a failing origin.</summary>
    private readonly record struct Windows(TimeSpan Fresh, TimeSpan Stale, TimeSpan Error);
}
