using System.Security.Cryptography;
using System.Text;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// The cache key of a proxied GET: route, path, the allowed query parameters (sorted) and the values of the headers the
/// policy varies by. Also the request a fill sends, which holds exactly what the key holds and nothing else of the
/// client's: a client's <c>Authorization</c> reaches the upstream only when the policy varies by it (one entry per
/// credential).
/// </summary>
internal sealed record ProxyCacheKey(string Key, FillRequest Fill)
{
    public static ProxyCacheKey For(string routeId, HttpContext context, Caching.CachePolicy policy)
    {
        var request = context.Request;
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

        var fill = new FillRequest(
            routeId,
            request.Scheme,
            request.Host,
            request.PathBase,
            request.Path,
            new QueryString(query.Length == 0 ? null : query.ToString()),
            headers,
            new Dictionary<string, object?>(request.RouteValues),
            context.Connection.RemoteIpAddress);
        return new ProxyCacheKey(key, fill);
    }

    /// <summary>
    /// A read, or a refresh, of this key through its route. A miss's fill carries the waiting client's address and may hand
    /// an answer the cache cannot keep to that client (<paramref name="slot"/>); a refresh runs when no client waits, or
    /// after the client has gone, and carries neither.
    /// </summary>
    public Caching.CacheRequest Request(string policyName, Caching.CachePolicy policy, FillForwarder fills, HandoffSlot? slot = null)
    {
        var fill = Fill;
        return new Caching.CacheRequest(Key, policyName, policy, (reason, ct) => reason == Caching.FetchReason.Miss
            ? fills.FetchAsync(fill, policy, slot, ct)
            : fills.FetchAsync(fill with { ClientAddress = null }, policy, slot: null, ct));
    }
}
