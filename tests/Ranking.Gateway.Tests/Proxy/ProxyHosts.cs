using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Proxy;

/// <summary>Gateway configuration of the proxy tests: one cached route, one plain route, one cluster.</summary>
internal static class ProxyHosts
{
    public static Dictionary<string, string?> Settings(UpstreamServer upstream, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:cached:ClusterId"] = "existing",
            ["ReverseProxy:Routes:cached:Match:Path"] = "/api/{**rest}",
            ["ReverseProxy:Routes:cached:Metadata:CachePolicy"] = "upstream",
            ["ReverseProxy:Routes:plain:ClusterId"] = "existing",
            ["ReverseProxy:Routes:plain:Match:Path"] = "/plain/{**rest}",
            ["ReverseProxy:Clusters:existing:Destinations:d1:Address"] = upstream.Address,
            ["Gateway:Policies:upstream:Fresh"] = "00:01:00",
            ["Gateway:Policies:upstream:FreshJitter"] = "00:00:00",
            ["Gateway:Policies:upstream:Stale"] = "00:10:00",
            ["Gateway:Policies:upstream:StaleIfError"] = "01:00:00",
            // Long enough that a fill the test holds at the upstream never times out under a slow CI run.
            ["Gateway:Policies:upstream:OriginTimeout"] = "00:00:20",
            ["Gateway:Policies:upstream:QueryKeys:0"] = "page",
            ["Gateway:Policies:upstream:VaryByHeaders:0"] = "Accept-Language",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    public static GatewayHost Create(
        TestDatabase database, string prefix, FakeTimeProvider time, UpstreamServer upstream, IDictionary<string, string?>? extra = null, Action<IServiceCollection>? services = null) =>
        new(database, prefix, time, Settings(upstream, extra), services: services);

    /// <summary>
    /// A cached route and a plain one with the same transforms ("Name=Value|Name=Value", <c>{route}</c> standing for the
    /// route's own path segment), both on cluster <c>pair</c>.
    /// </summary>
    public static Dictionary<string, string?> Routes(string[] transforms, (string Key, string Value)[] cluster, params (string Key, string Value)[] policy)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:Policies:fills:Fresh"] = "00:01:00",
            ["Gateway:Policies:fills:FreshJitter"] = "00:00:00",
            ["Gateway:Policies:fills:QueryKeys:0"] = "page",
            ["Gateway:Policies:fills:VaryByHeaders:0"] = "Accept-Language",
        };
        foreach (var (name, value) in policy)
        {
            settings[$"Gateway:Policies:fills:{name}"] = value;
        }

        foreach (var route in new[] { "cached", "plain" })
        {
            var key = $"ReverseProxy:Routes:{route}";
            settings[$"{key}:ClusterId"] = "pair";
            settings[$"{key}:Match:Path"] = $"/{route}/{{**rest}}";
            if (route == "cached")
            {
                settings[$"{key}:Metadata:CachePolicy"] = "fills";
            }

            for (var i = 0; i < transforms.Length; i++)
            {
                foreach (var pair in transforms[i].Replace("{route}", route, StringComparison.Ordinal).Split('|'))
                {
                    var (name, value) = (pair[..pair.IndexOf('=', StringComparison.Ordinal)], pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..]);
                    settings[$"{key}:Transforms:{i}:{name}"] = value;
                }
            }
        }

        foreach (var (name, value) in cluster)
        {
            settings[$"ReverseProxy:Clusters:pair:{name}"] = value;
        }

        return settings;
    }
}
