using Microsoft.Net.Http.Headers;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Proxy;

/// <summary>Whether an upstream answer, as the route's transforms left it, may be kept in the shared cache.</summary>
internal static class Storability
{
    /// <summary>Headers a stored answer may hold at most (the entry envelope's limit).</summary>
    public const int MaxHeaders = 64;

    public static bool IsStorable(HttpResponse response, CachePolicy policy, bool carriesCredentials, long? contentLength)
    {
        var status = response.StatusCode;
        if (!policy.Keeps(status))
        {
            return false;
        }

        if (contentLength > policy.MaxBodyBytes || response.Headers.Count > MaxHeaders || response.Headers.SetCookie.Count > 0)
        {
            return false;
        }

        CacheControlHeaderValue.TryParse(response.Headers.CacheControl.ToString(), out var cacheControl);
        if (cacheControl is { NoStore: true } or { Private: true })
        {
            return false;
        }

        // RFC 9111 §3.5: an answer to a request with credentials is shared only when it says so.
        if (carriesCredentials && cacheControl is not ({ Public: true } or { SharedMaxAge: not null } or { MustRevalidate: true }))
        {
            return false;
        }

        // An answer that varies on a request header the key does not hold could be one user's answer to another.
        foreach (var vary in response.Headers.Vary)
        {
            foreach (var name in (vary ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!policy.VaryByHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
