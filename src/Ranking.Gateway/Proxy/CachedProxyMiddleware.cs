using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Hosting;
using Yarp.ReverseProxy.Model;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// The SWR cache in YARP's proxy pipeline. A route opts in with <c>Metadata: { "CachePolicy": "name" }</c>;
/// its GET and HEAD requests are answered by the cache, with misses and refreshes sent to the route's cluster.
/// Everything else (routes without a policy, other methods, Authorization without consent, answers the
/// upstream forbids storing) goes on through YARP untouched.
/// </summary>
internal sealed class CachedProxyMiddleware(RequestDelegate next, SwrCache cache, UpstreamFetcher upstream, IOptionsMonitor<GatewayOptions> options, TimeProvider time)
{
    private const int KeyLimit = 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!TryGetPolicy(context, out var route, out var policyName, out var policy))
        {
            await next(context);
            return;
        }

        var key = ProxyCacheKey.For(route.RouteId, context.Request, policy, policy.CacheAuthorized);
        if (key.Key.Length > KeyLimit)
        {
            await next(context);
            return;
        }

        var clusterId = route.ClusterId!;
        var request = new CacheRequest(key.Key, policyName, policy, ct => upstream.FetchAsync(clusterId, key.PathAndQuery, key.Headers, policy, ct));
        CacheLookup lookup;
        try
        {
            lookup = await cache.GetAsync(request, context.RequestAborted);
        }
        catch (OriginUnavailableException ex)
        {
            await WriteFailureAsync(context, ex, policy);
            return;
        }

        if (!lookup.Stored)
        {
            await next(context);
            return;
        }

        await CacheHeaders.WriteAsync(context, lookup, time.GetUtcNow());
    }

    private bool TryGetPolicy(HttpContext context, out Yarp.ReverseProxy.Configuration.RouteConfig route, out string policyName, out CachePolicy policy)
    {
        route = context.GetReverseProxyFeature().Route.Config;
        policyName = "";
        policy = null!;
        var method = context.Request.Method;
        return (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
            && route.Metadata?.TryGetValue(CachePolicyMetadata.Key, out policyName!) == true
            && options.CurrentValue.Policies.TryGetValue(policyName, out policy!)
            && route.ClusterId is not null
            && (policy.CacheAuthorized || context.Request.Headers.Authorization.Count == 0);
    }

    // The upstream's own error answer goes through; without one, 502 (unreachable) or 504 (timed out).
    private static Task WriteFailureAsync(HttpContext context, OriginUnavailableException failure, CachePolicy policy)
    {
        if (failure.Response is { } response)
        {
            context.Response.StatusCode = response.StatusCode;
            context.Response.ContentType = response.ContentType;
            return context.Response.Body.WriteAsync(response.Body).AsTask();
        }

        return failure.InnerException is OperationCanceledException
            ? Problems.WriteAsync(context, 504, "Upstream timed out", "The upstream did not answer in time and no cached copy is available.", policy.RetryAfter)
            : Problems.WriteAsync(context, 502, "Upstream unavailable", "The upstream could not be reached and no cached copy is available.", policy.RetryAfter);
    }
}
