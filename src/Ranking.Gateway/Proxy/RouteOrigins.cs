using System.Collections.Concurrent;

namespace Ranking.Gateway.Proxy;

/// <summary>One <see cref="RouteOrigin"/> per cached route, made on its first read and reused by every later one.</summary>
internal sealed class RouteOrigins(FillForwarder fills)
{
    private readonly ConcurrentDictionary<string, RouteOrigin> _origins = new(StringComparer.Ordinal);

    public RouteOrigin For(string routeId) =>
        _origins.TryGetValue(routeId, out var origin) ? origin : _origins.GetOrAdd(routeId, static (id, fills) => new RouteOrigin(id, fills), fills);
}
