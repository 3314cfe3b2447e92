using System.Net;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// The request a cache fill sends through the route, rebuilt from what the cache key holds: method GET, the host, the
/// path, the policy's query parameters and the headers it varies by; the headers the policy forwards without keying
/// on them; the validators of a stored answer it revalidates; and what YARP's route matching and transforms read
/// (scheme, path base, route values). Only a miss carries the waiting client's address (for <c>X-Forwarded-For</c>); a
/// background refresh has no client.
/// </summary>
internal sealed record FillRequest(
    string RouteId,
    string Scheme,
    HostString Host,
    PathString PathBase,
    PathString Path,
    QueryString Query,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    IReadOnlyDictionary<string, object?> RouteValues,
    IPAddress? ClientAddress)
{
    /// <summary>Whether the fill carries a client credential (only when the policy keys on <c>Authorization</c>).</summary>
    public bool CarriesCredentials => Has("Authorization");

    /// <summary>Whether the fill revalidates a stored answer (<see cref="Revalidation.Conditional"/>).</summary>
    public bool IsConditional => Has("If-None-Match") || Has("If-Modified-Since");

    private bool Has(string name) => Headers.Any(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The request as YARP's forwarder and the route's transforms see it.</summary>
    public HttpContext ToHttpContext(IServiceProvider services, Stream responseBody)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        var request = context.Request;
        request.Method = HttpMethods.Get;
        request.Protocol = "HTTP/1.1";
        request.Scheme = Scheme;
        if (Host.HasValue)
        {
            request.Host = Host;
        }

        request.PathBase = PathBase;
        request.Path = Path;
        request.QueryString = Query;
        foreach (var (name, value) in Headers)
        {
            request.Headers.Append(name, value);
        }

        foreach (var (name, value) in RouteValues)
        {
            request.RouteValues[name] = value;
        }

        context.Connection.RemoteIpAddress = ClientAddress;
        context.Response.Body = responseBody;
        return context;
    }
}
