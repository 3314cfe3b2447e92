using System.Diagnostics.CodeAnalysis;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Proxy;
using Ranking.Gateway.Ranking;
using Yarp.ReverseProxy;

namespace Ranking.Gateway.Admin;

/// <summary>
/// Finds the cache entry an admin call names, as the read path would: a ranking group's (judged by the refresh mode), or
/// a cached route's for one path. A name that cannot be an entry is answered with a problem, and nothing else happens.
/// </summary>
internal sealed class AdminTargets(RankingReader rankings, IProxyStateLookup proxyState, CachePolicies policies, RouteOrigins origins)
{
    public bool TryRanking(string group, out CacheRequest request, [NotNullWhen(false)] out IResult? problem)
    {
        request = default;
        if (!RankingEndpoint.GroupId().IsMatch(group))
        {
            problem = Problem(StatusCodes.Status400BadRequest, "Invalid group id", "A group id is 1 to 64 characters: a letter or digit, then letters, digits, '_', '.', ':' or '-'.");
            return false;
        }

        request = rankings.Request(group);
        problem = null;
        return true;
    }

    /// <summary>
    /// The entry route <paramref name="routeId"/> keeps for <paramref name="path"/>; the policy's query parameters and
    /// vary headers come from <paramref name="admin"/>, the admin call, as they would from a client's read.
    /// </summary>
    public bool TryRoute(HttpContext admin, string routeId, string? path, out CacheRequest request, [NotNullWhen(false)] out IResult? problem)
    {
        request = default;
        if (!proxyState.TryGetRoute(routeId, out var route))
        {
            problem = Problem(StatusCodes.Status404NotFound, "Unknown route", $"No route '{routeId}' is configured under ReverseProxy:Routes.");
            return false;
        }

        var config = route.Config;
        var policyName = config.Metadata?.GetValueOrDefault(CachePolicyMetadata.Key);
        if (config.ClusterId is null || policyName is null || !policies.TryGet(policyName, out var policy))
        {
            problem = Problem(StatusCodes.Status400BadRequest, "Route not cached", $"Route '{routeId}' names no cache policy (Metadata:{CachePolicyMetadata.Key}), so it has no cache entries.");
            return false;
        }

        if (CachedRouteRequest.For(admin, config, new PathString("/" + path)) is not { } read)
        {
            problem = Problem(StatusCodes.Status404NotFound, "Path not on route", $"Route '{routeId}' does not match the path '/{path}'.");
            return false;
        }

        if (ProxyCacheKey.For(routeId, read, policy) is not { } key)
        {
            problem = Problem(StatusCodes.Status400BadRequest, "Key too long", $"Reads of this path are not cached: their key would be longer than {ProxyCacheKey.KeyLimit} characters.");
            return false;
        }

        request = new CacheRequest(key, policyName, policy, origins.For(routeId), read);
        problem = null;
        return true;
    }

    private static IResult Problem(int status, string title, string detail) => TypedResults.Problem(statusCode: status, title: title, detail: detail);
}
