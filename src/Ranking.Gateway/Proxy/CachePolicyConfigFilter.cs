using Yarp.ReverseProxy.Configuration;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// Rejects a cached route when the configuration it comes with is not a valid whole (<see cref="CachePolicies.Read"/>):
/// it names a policy that does not exist, or the policies themselves are invalid. At start-up the host then fails; on a
/// reload YARP keeps the previous routes and logs this message, and <see cref="CachePolicies"/> the previous policies.
/// </summary>
internal sealed class CachePolicyConfigFilter(IConfiguration configuration) : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) => new(cluster);

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel)
    {
        if (route.Metadata?.ContainsKey(CachePolicyMetadata.Key) == true && CachePolicies.Read(configuration, out var errors) is null)
        {
            throw new InvalidOperationException(string.Join(" ", errors));
        }

        return new(route);
    }
}
