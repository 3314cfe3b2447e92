using System.Security.Cryptography;
using System.Text;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// The cache key of a proxied GET: route, path, the allowed query parameters (sorted) and the values of the headers the
/// policy varies by. Also the request a fill sends, which holds exactly what the key holds and nothing else of the
/// client's: a client's <c>Authorization</c> reaches the upstream only when the policy varies by it (one entry per
/// credential).
/// </summary>
internal static class ProxyCacheKey
{
    public static string For(string routeId, HttpContext context, CachePolicy policy)
    {
        var request = context.Request;
        var varying = string.Join('\n', VaryingHeaders(request, policy).Select(h => $"{h.Key.ToLowerInvariant()}:{h.Value}"));
        var key = $"proxy:{routeId}:{request.PathBase.Add(request.Path).ToUriComponent()}{Query(request, policy)}";
        if (varying.Length > 0)
        {
            key += "#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(varying)).AsSpan(0, 8));
        }

        return key;
    }

    /// <summary>The request a fill of this key sends through route <paramref name="routeId"/>.</summary>
    public static FillRequest Fill(string routeId, HttpContext context, CachePolicy policy)
    {
        var request = context.Request;
        var query = Query(request, policy);
        return new FillRequest(
            routeId,
            request.Scheme,
            request.Host,
            request.PathBase,
            request.Path,
            new QueryString(query.Length == 0 ? null : query),
            VaryingHeaders(request, policy),
            new Dictionary<string, object?>(request.RouteValues),
            context.Connection.RemoteIpAddress);
    }

    private static string Query(HttpRequest request, CachePolicy policy)
    {
        var query = new StringBuilder();
        foreach (var name in policy.QueryKeys.Order(StringComparer.Ordinal))
        {
            foreach (var value in request.Query[name])
            {
                query.Append(query.Length == 0 ? '?' : '&')
                    .Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value ?? ""));
            }
        }

        return query.ToString();
    }

    private static List<KeyValuePair<string, string>> VaryingHeaders(HttpRequest request, CachePolicy policy)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var name in policy.VaryByHeaders)
        {
            if (request.Headers.TryGetValue(name, out var values))
            {
                headers.Add(new(name, values.ToString()));
            }
        }

        return headers;
    }
}
