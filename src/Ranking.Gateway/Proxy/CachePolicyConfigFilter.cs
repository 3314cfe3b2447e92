using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;
using Yarp.ReverseProxy.Configuration;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// Rejects a route whose <c>CachePolicy</c> metadata names no policy, when the configuration loads: at start-up
/// the host fails; on a reload YARP keeps the previous configuration and logs this message.
/// </summary>
internal sealed class CachePolicyConfigFilter(IOptionsMonitor<GatewayOptions> options) : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) => new(cluster);

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel)
    {
        if (route.Metadata?.TryGetValue(CachePolicyMetadata.Key, out var name) == true && !options.CurrentValue.Policies.ContainsKey(name))
        {
            var known = string.Join(", ", options.CurrentValue.Policies.Keys);
            throw new InvalidOperationException(
                $"Route '{route.RouteId}' names cache policy '{name}' in its Metadata, but Gateway:Policies defines only: {known}.");
        }

        return new(route);
    }
}
