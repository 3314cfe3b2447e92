using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// A cached route's upstream as the cache's origin: a fill goes through the route like a proxied request
/// (<see cref="FillForwarder"/>), revalidating the stored answer it replaces where it can (<see cref="Revalidation"/>).
/// A miss's fill carries the waiting client's address and may hand an answer the cache cannot keep to that client (its
/// <see cref="HandoffSlot"/>, left in the client's request features); a refresh runs when no client waits, or after the
/// client has gone, and carries neither.
/// </summary>
internal sealed class RouteOrigin(string routeId, FillForwarder fills, TimeProvider time) : IOrigin
{
    /// <param name="read">A read whose target is the client's (or an admin call's) request.</param>
    public object Capture(in CacheRequest read, FetchReason reason)
    {
        var context = (HttpContext)read.Target;
        var fill = ProxyCacheKey.Fill(routeId, context, read.Policy);
        if (reason == FetchReason.Refresh)
        {
            return new RouteFill(fill with { ClientAddress = null }, Slot: null);
        }

        // The waiting client takes an answer the cache cannot keep, unless it sent credentials the fill did not carry:
        // then that answer is not the one its own request would get.
        if (context.Request.Headers.Authorization.Count > 0 && !fill.CarriesCredentials)
        {
            return new RouteFill(fill, Slot: null);
        }

        var slot = new HandoffSlot();
        context.Features.Set(slot);
        return new RouteFill(fill, slot);
    }

    public async Task<OriginResult> FetchAsync(OriginRequest request, CancellationToken cancellationToken)
    {
        var (fill, slot) = (RouteFill)request.Target;
        if (request.Previous is { } stored)
        {
            fill = Revalidation.Conditional(fill, stored);
        }

        var result = await fills.FetchAsync(fill, request.Policy, slot, cancellationToken);
        return result.Response is { StatusCode: StatusCodes.Status304NotModified } notModified && fill.IsConditional
            ? Revalidation.Merge(request.Previous!, notModified, request.Policy, fill.CarriesCredentials, time.GetUtcNow())
            : result;
    }

    /// <summary>A reader the cache cannot answer has its own request proxied, as YARP would (CachedProxyMiddleware).</summary>
    public bool PassesThrough => true;

    private sealed record RouteFill(FillRequest Fill, HandoffSlot? Slot);
}
