using System.Security.Cryptography;
using System.Text;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// The cache key of a proxied GET: route, path, the allowed query parameters (sorted) and the values of the
/// headers the policy varies by. Also the path and headers to send upstream, so a refresh forwards exactly
/// what the key holds and nothing else.
/// </summary>
internal sealed record ProxyCacheKey(string Key, string PathAndQuery, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public static ProxyCacheKey For(string routeId, HttpRequest request, Caching.CachePolicy policy, bool forwardAuthorization)
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

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var name in policy.VaryByHeaders)
        {
            if (request.Headers.TryGetValue(name, out var values))
            {
                headers.Add(new(name, values.ToString()));
            }
        }

        var pathAndQuery = request.PathBase.Add(request.Path).ToUriComponent() + query;
        var varying = string.Join('\n', headers.Select(h => $"{h.Key.ToLowerInvariant()}:{h.Value}"));
        var key = $"proxy:{routeId}:{pathAndQuery}";
        if (varying.Length > 0)
        {
            key += "#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(varying)).AsSpan(0, 8));
        }

        if (forwardAuthorization && request.Headers.Authorization.Count > 0)
        {
            headers.Add(new("Authorization", request.Headers.Authorization.ToString()));
        }

        return new ProxyCacheKey(key, pathAndQuery, headers);
    }
}
