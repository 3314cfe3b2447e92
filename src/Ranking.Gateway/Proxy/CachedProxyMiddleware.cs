using Ranking.Gateway.Caching;
using Ranking.Gateway.Hosting;
using Ranking.Gateway.Http;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// The SWR cache in YARP's proxy pipeline. A route opts in with <c>Metadata: { "CachePolicy": "name" }</c>;
/// its GET and HEAD requests are answered by the cache, whose fills go through the route like proxied requests
/// (<see cref="FillForwarder"/>). Everything else goes on through YARP: routes without a policy, Authorization without
/// consent, answers the cache may not keep (an answer the cache may not keep is handed to the client whose miss fetched
/// it, so it costs one upstream request, not two), and other methods, after whose success the stored answer for the same
/// URL is invalidated (RFC 9111 §4.4).
/// </summary>
internal sealed partial class CachedProxyMiddleware(
    RequestDelegate next,
    SwrCache cache,
    RouteOrigins origins,
    CachePolicies policies,
    TimeProvider time,
    ILogger<CachedProxyMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!TryGetPolicy(context, out var route, out var policyName, out var policy))
        {
            await next(context);
            return;
        }

        var method = context.Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
        {
            await next(context);
            await InvalidateAfterUnsafeAsync(context, route, policy);
            return;
        }

        if ((!policy.CacheAuthorized && context.Request.Headers.Authorization.Count > 0)
            || ProxyCacheKey.For(route.RouteId, context, policy) is not { } key)
        {
            await next(context);
            return;
        }

        CacheLookup? lookup = null;
        var handedOff = false;
        try
        {
            lookup = await cache.GetAsync(new CacheRequest(key, policyName, policy, origins.For(route.RouteId), context), context.RequestAborted);
        }
        finally
        {
            // A miss this client waited on may have left it an answer the cache cannot keep (RouteOrigin).
            if (context.Features.Get<HandoffSlot>()?.Close() is { } handoff)
            {
                await using (handoff)
                {
                    if (lookup is not { Shareable: true })
                    {
                        handedOff = true;
                        await WriteHandoffAsync(context, handoff);
                    }
                }
            }
        }

        // The handed-off answer is this client's whole answer, started or not (a HEAD, a 204 have no body to start it).
        if (handedOff || context.Response.HasStarted)
        {
            return;
        }

        if (lookup.Value.Failure is { } failure)
        {
            await WriteFailureAsync(context, failure, policy);
        }
        else if (lookup.Value.Shareable)
        {
            await AnswerWriter.WriteAsync(context, lookup.Value, time.GetUtcNow(), downstream: Downstream.For(policy));
        }
        else
        {
            await next(context);
        }
    }

    private bool TryGetPolicy(HttpContext context, out RouteConfig route, out string policyName, out CachePolicy policy)
    {
        route = context.GetReverseProxyFeature().Route.Config;
        policyName = "";
        policy = null!;
        return route.Metadata?.TryGetValue(CachePolicyMetadata.Key, out policyName!) == true
            && policies.TryGet(policyName, out policy!)
            && route.ClusterId is not null;
    }

    // A successful unsafe request (POST, PUT, DELETE, …) may have changed what its URL answers, and what the URLs its
    // Location and Content-Location name answer (RFC 9111 §4.4; only on this host, so an upstream cannot make the gateway
    // drop another site's entries, and only on this route): the stored answers a GET of each would read are dropped on
    // every instance, so the next read fetches them again. Other variants of a URL (other varied header values) are left
    // to expire.
    private async Task InvalidateAfterUnsafeAsync(HttpContext context, RouteConfig route, CachePolicy policy)
    {
        var method = context.Request.Method;
        var response = context.Response;
        if (HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method) || response.StatusCode >= 400)
        {
            return;
        }

        var reads = new List<HttpContext> { context };
        foreach (var named in new[] { response.Headers.Location.ToString(), response.Headers.ContentLocation.ToString() })
        {
            if (SameHostTarget(context.Request, named) is { } target
                && CachedRouteRequest.For(context, route, PathString.FromUriComponent(target.AbsolutePath), QueryString.FromUriComponent(target.Query)) is { } read)
            {
                reads.Add(read);
            }
        }

        foreach (var read in reads)
        {
            if (ProxyCacheKey.For(route.RouteId, read, policy) is { } key && await cache.PurgeAsync(key) is null)
            {
                Log.InvalidationFailed(logger, method);
                return;
            }
        }
    }

    private static Uri? SameHostTarget(HttpRequest request, string named)
    {
        return named.Length > 0
            && Uri.TryCreate($"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}", UriKind.Absolute, out var here)
            && Uri.TryCreate(here, named, out var target)
            && target.Scheme == here.Scheme && string.Equals(target.Authority, here.Authority, StringComparison.OrdinalIgnoreCase)
            ? target
            : null;
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

    // The upstream's own error answer goes through, headers (Retry-After among them) and all; without one, 503 (the
    // bulkhead is full), 504 (timed out) or 502 (unreachable).
    private static Task WriteFailureAsync(HttpContext context, OriginFailure failure, CachePolicy policy)
    {
        if (failure.Response is { } answer)
        {
            var response = context.Response;
            foreach (var (name, value) in answer.Headers)
            {
                response.Headers.Append(name, value);
            }

            response.StatusCode = answer.StatusCode;
            response.ContentType = answer.ContentType;
            return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(answer.Body).AsTask();
        }

        return failure.Kind switch
        {
            OriginFailureKind.Overloaded => Problems.WriteAsync(context, 503, "Upstream busy", "Too many requests for uncached answers are under way; try again shortly.", policy.RetryAfter),
            OriginFailureKind.Timeout or OriginFailureKind.Cancelled => Problems.WriteAsync(context, 504, "Upstream timed out", "The upstream did not answer in time and no cached copy is available.", policy.RetryAfter),
            _ => Problems.WriteAsync(context, 502, "Upstream unavailable", "The upstream could not be reached and no cached copy is available.", policy.RetryAfter),
        };
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.HandoffBroken, Level = LogLevel.Warning, Message = "An answer handed from a cache fill to its client broke off.")]
        public static partial void HandoffBroken(ILogger logger, Exception exception);

        [LoggerMessage(EventId = EventIds.InvalidationFailed, Level = LogLevel.Warning, Message = "A successful {Method} could not invalidate the stored answer of its URL: Redis is unavailable.")]
        public static partial void InvalidationFailed(ILogger logger, string method);
    }
}
