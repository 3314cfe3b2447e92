using System.Collections.Concurrent;

namespace Ranking.Gateway.Proxy;

/// <summary>One <see cref="RouteOrigin"/> per cached route, made on its first read and reused by every later one.</summary>
internal sealed class RouteOrigins(FillForwarder fills, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, RouteOrigin> _origins = new(StringComparer.Ordinal);

    public RouteOrigin For(string routeId) =>
        _origins.TryGetValue(routeId, out var origin) ? origin : _origins.GetOrAdd(routeId, static (id, state) => new RouteOrigin(id, state.Fills, state.Time), (Fills: fills, Time: time));
}
