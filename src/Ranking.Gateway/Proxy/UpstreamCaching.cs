using Ranking.Gateway.Caching;
using Ranking.Gateway.Http;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// Reads an upstream answer's headers as a shared cache must (RFC 9111 §3, §4.2; RFC 9213): whether it may be stored,
/// and for how long it is fresh and may be served stale. Anything it cannot read is read the safe way: a
/// <c>Cache-Control</c> that does not parse is not stored, an invalid <c>Expires</c> is already expired, an <c>Age</c>
/// that is not a whole number is ignored.
/// </summary>
internal static class UpstreamCaching
{
    /// <summary>Headers a stored answer may hold at most (the entry envelope's limit).</summary>
    public const int MaxHeaders = 64;

    /// <param name="header">A header's value, its lines joined with commas; null when absent.</param>
    /// <param name="receivedAt">When the answer arrived, for an answer without a usable <c>Date</c>.</param>
    public static HttpCaching Read(
        int status,
        Func<string, string?> header,
        CachePolicy policy,
        bool carriesCredentials,
        long? contentLength,
        int headerCount,
        DateTimeOffset receivedAt)
    {
        var (directives, targeted) = Directives(header, policy);
        var age = Age(header("Age"));
        var date = HttpDate.TryParse(header("Date"), out var said) ? said : receivedAt;
        // no-cache: stored, but never used without revalidating it first (RFC 9111 §5.2.2.4).
        var lifetime = directives.NoCache ? TimeSpan.Zero
            : directives.SharedMaxAge ?? directives.MaxAge ?? (targeted ? null : ExpiresLifetime(header("Expires"), date));

        // Heuristic freshness only for an answer that gives none, with a status RFC 9110 §15.1 calls heuristically
        // cacheable or a "public" (RFC 9111 §4.2.2), and only the kind the policy allows.
        var heuristic = lifetime is null && (IsHeuristicallyCacheable(status) || directives.Public) && policy.Freshness == FreshnessSource.Upstream
            ? policy.Heuristic
            : HeuristicFreshness.None;
        if (heuristic == HeuristicFreshness.LastModified && HttpDate.TryParse(header("Last-Modified"), out var lastModified) && lastModified < date)
        {
            lifetime = (date - lastModified) / 10;
        }

        var hasValidators = header("ETag") is not null || header("Last-Modified") is not null;
        var notStorable = NotStorable(status, header, policy, directives, carriesCredentials, contentLength, headerCount);
        if (policy.Freshness == FreshnessSource.Upstream && lifetime is null && heuristic != HeuristicFreshness.Policy && !hasValidators)
        {
            // Neither fresh nor revalidatable: nothing a later read could use.
            notStorable ??= "no-freshness";
        }

        return new HttpCaching(
            notStorable,
            lifetime - age,
            PolicyFresh: lifetime is null && heuristic == HeuristicFreshness.Policy,
            age,
            directives.ForbidsStale,
            directives.StaleWhileRevalidate,
            directives.StaleIfError,
            hasValidators);
    }

    /// <summary>The first of the policy's targeted fields that is present and valid, else <c>Cache-Control</c>.</summary>
    private static (CacheDirectives Directives, bool Targeted) Directives(Func<string, string?> header, CachePolicy policy)
    {
        foreach (var name in policy.TargetedCacheControl.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (CacheDirectives.TargetedField(header(name)) is { } targeted)
            {
                return (targeted, true);
            }
        }

        return (CacheDirectives.Parse(header("Cache-Control")), false);
    }

    private static string? NotStorable(
        int status,
        Func<string, string?> header,
        CachePolicy policy,
        CacheDirectives directives,
        bool carriesCredentials,
        long? contentLength,
        int headerCount)
    {
        if (!policy.Keeps(status))
        {
            return "status";
        }

        if (contentLength > policy.MaxBodyBytes)
        {
            return "too-large";
        }

        if (headerCount > MaxHeaders)
        {
            return "too-many-headers";
        }

        if (directives.Invalid)
        {
            return "unparseable-cache-control";
        }

        // must-understand: a cache that understands the status (it keeps only statuses it knows) may ignore no-store.
        if (directives.NoStore && !directives.MustUnderstand)
        {
            return "no-store";
        }

        if (directives.Private)
        {
            return "private";
        }

        if (!policy.StoreSetCookie && header("Set-Cookie") is not null)
        {
            return "set-cookie";
        }

        // RFC 9111 §3.5: an answer to a request with credentials is shared only when it says so.
        if (carriesCredentials && !(directives.Public || directives.SharedMaxAge is not null || directives.MustRevalidate))
        {
            return "authorization";
        }

        // An answer that varies on a request header the key does not hold could be one user's answer to another.
        foreach (var name in (header("Vary") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!policy.VaryByHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                return "vary";
            }
        }

        return null;
    }

    // Expires minus Date (RFC 9111 §4.2.1); an Expires that is not one valid HTTP-date is already expired.
    private static TimeSpan? ExpiresLifetime(string? expires, DateTimeOffset date) =>
        expires is null ? null
        : HttpDate.TryParse(expires, out var until) ? until - date
        : TimeSpan.Zero;

    // The first value of the first line; a value that is not a whole number of seconds is ignored (RFC 9111 §5.1).
    private static TimeSpan Age(string? value) => CacheDirectives.DeltaSeconds((value ?? "").Split(',')[0].Trim()) ?? TimeSpan.Zero;

    // RFC 9110 §15.1: the statuses that are cacheable by default.
    private static bool IsHeuristicallyCacheable(int status) =>
        status is 200 or 203 or 204 or 206 or 300 or 301 or 308 or 404 or 405 or 410 or 414 or 501;
}
