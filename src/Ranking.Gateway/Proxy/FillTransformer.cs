using Ranking.Gateway.Caching;
using Yarp.ReverseProxy.Forwarder;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// The route's own transformer, so a fill is the request YARP would send and its answer is what YARP would return;
/// at the answer's headers it also decides whether the answer is for the cache or for the waiting client.
/// </summary>
/// <param name="keepEvery">Keep every answer (bounded) whatever its storability: the caller reads it, not the cache.</param>
internal sealed class FillTransformer(HttpTransformer route, CachePolicy policy, bool carriesCredentials, bool keepEvery, FillResponseBody body) : HttpTransformer
{
    /// <summary>Whether the answer, as transformed, may be stored (known once its headers arrived).</summary>
    public bool Storable { get; private set; }

    public override ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken) =>
        route.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var copyBody = await route.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (!copyBody || proxyResponse is null)
        {
            return copyBody;
        }

        Storable = Storability.IsStorable(httpContext.Response, policy, carriesCredentials, proxyResponse.Content.Headers.ContentLength);

        // An upstream failure is kept (bounded) too: the cache decides whether a stale copy answers instead.
        return Storable || keepEvery || httpContext.Response.StatusCode >= 500 || body.HandOff();
    }

    public override ValueTask TransformResponseTrailersAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken) =>
        route.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken);
}
