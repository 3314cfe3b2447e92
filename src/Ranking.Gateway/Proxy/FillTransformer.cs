using Ranking.Gateway.Caching;
using Yarp.ReverseProxy.Forwarder;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// The route's own transformer, so a fill is the request YARP would send and its answer is what YARP would return;
/// at the answer's headers it also reads what they say about caching it (<see cref="UpstreamCaching"/>) and decides
/// whether the answer is for the cache or for the waiting client.
/// </summary>
/// <param name="keepEvery">Keep every answer (bounded) whatever its storability: the caller reads it, not the cache.</param>
internal sealed class FillTransformer(
    HttpTransformer route,
    CachePolicy policy,
    FillRequest fill,
    bool keepEvery,
    FillResponseBody body,
    TimeProvider time) : HttpTransformer
{
    /// <summary>What the answer's headers, as transformed, say about caching it (known once they arrived).</summary>
    public HttpCaching? Caching { get; private set; }

    /// <summary>Whether the answer, as transformed, is for the cache (known once its headers arrived).</summary>
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

        // Headers the upstream's Connection header names belong to that connection (RFC 9110 §7.6.1); YARP drops the
        // Connection header itself but not them.
        var response = httpContext.Response;
        foreach (var name in proxyResponse.Headers.Connection)
        {
            response.Headers.Remove(name);
        }

        Caching = UpstreamCaching.Read(
            response.StatusCode,
            name => response.Headers.TryGetValue(name, out var values) ? values.ToString() : null,
            policy,
            fill.CarriesCredentials,
            proxyResponse.Content.Headers.ContentLength,
            response.Headers.Count,
            time.GetUtcNow());

        if (Caching.NotStorable is null && HasUnwritableValue(response.Headers))
        {
            Caching = Caching with { NotStorable = "invalid-header" };
        }

        // A 304 to the cache's own revalidation updates the stored answer (Revalidation.Merge).
        Storable = (fill.IsConditional && response.StatusCode == StatusCodes.Status304NotModified) || Caching.NotStorable is null;

        // An upstream failure is kept (bounded) too: the cache decides whether a stale copy answers instead.
        return Storable || keepEvery || response.StatusCode >= 500 || body.HandOff();
    }

    // A value Kestrel will not write (a control character, or one past Latin-1): stored, every hit of the answer would fail.
    private static bool HasUnwritableValue(IHeaderDictionary headers) =>
        headers.Any(h => h.Value.Any(v => v is not null && v.AsSpan().ContainsAnyExceptInRange(' ', '~') && v.Any(c => c != '\t' && c is < ' ' or '\x7f' or > '\xff')));

    public override ValueTask TransformResponseTrailersAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken) =>
        route.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken);
}
