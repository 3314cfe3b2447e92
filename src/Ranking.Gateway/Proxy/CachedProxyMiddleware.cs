using Ranking.Gateway.Caching;
using Ranking.Gateway.Hosting;
using Yarp.ReverseProxy.Model;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// The SWR cache in YARP's proxy pipeline. A route opts in with <c>Metadata: { "CachePolicy": "name" }</c>;
/// its GET and HEAD requests are answered by the cache, whose fills go through the route like proxied requests
/// (<see cref="FillForwarder"/>). Everything else (routes without a policy, other methods, Authorization without
/// consent, answers the cache may not keep) goes on through YARP; an answer the cache may not keep is handed to the
/// client whose miss fetched it, so it costs one upstream request, not two.
/// </summary>
internal sealed partial class CachedProxyMiddleware(
    RequestDelegate next,
    SwrCache cache,
    FillForwarder fills,
    CachePolicies policies,
    TimeProvider time,
    ILogger<CachedProxyMiddleware> logger)
{
    internal const int KeyLimit = 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!TryGetPolicy(context, out var route, out var policyName, out var policy))
        {
            await next(context);
            return;
        }

        var key = ProxyCacheKey.For(route.RouteId, context, policy);
        if (key.Key.Length > KeyLimit)
        {
            await next(context);
            return;
        }

        // The waiting client takes an answer the cache cannot keep, unless it sent credentials the fill did not carry:
        // then that answer is not the one its own request would get.
        var slot = context.Request.Headers.Authorization.Count == 0 || key.Fill.CarriesCredentials ? new HandoffSlot() : null;
        var request = key.Request(policyName, policy, fills, slot);
        CacheLookup? lookup = null;
        OriginUnavailableException? failure = null;
        try
        {
            lookup = await cache.GetAsync(request, context.RequestAborted);
        }
        catch (OriginUnavailableException ex)
        {
            failure = ex;
        }
        finally
        {
            if (slot?.Close() is { } handoff)
            {
                await using (handoff)
                {
                    if (lookup is not { Shareable: true })
                    {
                        await WriteHandoffAsync(context, handoff);
                    }
                }
            }
        }

        if (context.Response.HasStarted)
        {
            return;
        }

        if (failure is not null)
        {
            await WriteFailureAsync(context, failure, policy);
        }
        else if (lookup is { Shareable: true } found)
        {
            await CacheHeaders.WriteAsync(context, found, time.GetUtcNow());
        }
        else
        {
            await next(context);
        }
    }

    private bool TryGetPolicy(HttpContext context, out Yarp.ReverseProxy.Configuration.RouteConfig route, out string policyName, out CachePolicy policy)
    {
        route = context.GetReverseProxyFeature().Route.Config;
        policyName = "";
        policy = null!;
        var method = context.Request.Method;
        return (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
            && route.Metadata?.TryGetValue(CachePolicyMetadata.Key, out policyName!) == true
            && policies.TryGet(policyName, out policy!)
            && route.ClusterId is not null
            && (policy.CacheAuthorized || context.Request.Headers.Authorization.Count == 0);
    }

    private async Task WriteHandoffAsync(HttpContext context, Handoff handoff)
    {
        try
        {
            await handoff.WriteToAsync(context);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or HttpRequestException)
        {
            // The upstream or the client broke off mid-answer: nothing sensible can follow on this response.
            Log.HandoffBroken(logger, ex);
            context.Abort();
        }
    }

    // The upstream's own error answer goes through; without one, 503 (the bulkhead is full), 502 (unreachable) or 504
    // (timed out).
    private static Task WriteFailureAsync(HttpContext context, OriginUnavailableException failure, CachePolicy policy)
    {
        if (failure.Response is { } response)
        {
            context.Response.StatusCode = response.StatusCode;
            context.Response.ContentType = response.ContentType;
            return context.Response.Body.WriteAsync(response.Body).AsTask();
        }

        if (failure.Overloaded)
        {
            return Problems.WriteAsync(context, 503, "Upstream busy", "Too many requests for uncached answers are under way; try again shortly.", policy.RetryAfter);
        }

        return failure.InnerException is OperationCanceledException
            ? Problems.WriteAsync(context, 504, "Upstream timed out", "The upstream did not answer in time and no cached copy is available.", policy.RetryAfter)
            : Problems.WriteAsync(context, 502, "Upstream unavailable", "The upstream could not be reached and no cached copy is available.", policy.RetryAfter);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 410, Level = LogLevel.Warning, Message = "An answer handed from a cache fill to its client broke off.")]
        public static partial void HandoffBroken(ILogger logger, Exception exception);
    }
}
