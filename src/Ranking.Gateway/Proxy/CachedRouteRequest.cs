using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Configuration;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// The GET a client would send for one entry of a cached route, built from another request (an admin call, or an
/// unsafe request whose answer names the URL it changed): the entry's path and query; that request's scheme, host and
/// headers (less its <c>Authorization</c>, which may hold the admin key); and the route values YARP's matching gives
/// that path, which the route's transforms may read. <see cref="ProxyCacheKey.For"/> then makes of it exactly the key,
/// and the fill, that a client's read would.
/// </summary>
internal static class CachedRouteRequest
{
    /// <returns>The request, or null when the route's path pattern does not match <paramref name="path"/>.</returns>
    /// <param name="query">The entry's query; the other request's own when null.</param>
    public static HttpContext? For(HttpContext admin, RouteConfig route, PathString path, QueryString? query = null)
    {
        var values = new RouteValueDictionary();
        if (route.Match.Path is { } pattern && !new TemplateMatcher(TemplateParser.Parse(pattern), new RouteValueDictionary()).TryMatch(path, values))
        {
            return null;
        }

        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = HttpMethods.Get;
        request.Scheme = admin.Request.Scheme;
        request.Host = admin.Request.Host;
        request.PathBase = admin.Request.PathBase;
        request.Path = path;
        request.QueryString = query ?? admin.Request.QueryString;
        foreach (var (name, value) in admin.Request.Headers)
        {
            if (!name.Equals(HeaderNames.Authorization, StringComparison.OrdinalIgnoreCase))
            {
                request.Headers[name] = value;
            }
        }

        request.RouteValues = values;
        return context;
    }
}
