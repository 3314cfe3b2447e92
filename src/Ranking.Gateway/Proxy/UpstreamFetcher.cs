using System.Net.Http.Headers;
using Ranking.Gateway.Caching;
using Yarp.ReverseProxy;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// Sends the gateway's own GET to a destination of a YARP cluster (healthy ones first), with the cluster's
/// HttpClient, and decides whether the answer may be stored. Used for misses and background refreshes,
/// which have no HttpContext; proxied traffic keeps YARP's own load balancing.
/// </summary>
internal sealed class UpstreamFetcher(IProxyStateLookup proxyState)
{
    // Headers of a stored answer that are replayed to every client; hop-by-hop and per-client ones are not.
    private static readonly string[] ReplayedHeaders = ["Last-Modified", "Content-Language", "Content-Disposition", "Vary"];

    /// <exception cref="HttpRequestException">No destination, or the upstream could not be reached.</exception>
    public async Task<OriginResponse> FetchAsync(
        string clusterId,
        string pathAndQuery,
        IReadOnlyList<KeyValuePair<string, string>> headers,
        CachePolicy policy,
        CancellationToken cancellationToken)
    {
        if (!proxyState.TryGetCluster(clusterId, out var cluster))
        {
            throw new HttpRequestException($"Cluster '{clusterId}' is not configured.");
        }

        var destinations = cluster.DestinationsState.AvailableDestinations;
        if (destinations.Count == 0)
        {
            destinations = cluster.DestinationsState.AllDestinations;
        }

        if (destinations.Count == 0)
        {
            throw new HttpRequestException($"Cluster '{clusterId}' has no destinations.");
        }

        var destination = destinations[Random.Shared.Next(destinations.Count)];
        var address = destination.Model.Config.Address.TrimEnd('/');
        using var request = new HttpRequestMessage(HttpMethod.Get, address + pathAndQuery);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await cluster.Model.HttpClient.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var contentType = response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
        var replayed = ReplayedHeaders
            .Select(name => (name, values: response.Headers.TryGetValues(name, out var v) || response.Content.Headers.TryGetValues(name, out v) ? v : null))
            .Where(h => h.values is not null)
            .Select(h => new KeyValuePair<string, string>(h.name, string.Join(", ", h.values!)))
            .ToArray();
        return new OriginResponse((int)response.StatusCode, contentType, body, replayed, IsStorable(response, body.Length, policy));
    }

    private static bool IsStorable(HttpResponseMessage response, int length, CachePolicy policy)
    {
        var cacheControl = response.Headers.CacheControl;
        if (cacheControl is { NoStore: true } or { Private: true } || response.Headers.Contains("Set-Cookie") || length > policy.MaxBodyBytes)
        {
            return false;
        }

        // An answer that varies on a request header the key does not hold could be one user's answer to another.
        return response.Headers.Vary.All(header => policy.VaryByHeaders.Contains(header, StringComparer.OrdinalIgnoreCase));
    }
}
