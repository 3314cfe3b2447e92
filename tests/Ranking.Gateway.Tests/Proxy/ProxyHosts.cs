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
            ["Gateway:Policies:upstream:OriginTimeout"] = "00:00:05",
            ["Gateway:Policies:upstream:QueryKeys:0"] = "page",
            ["Gateway:Policies:upstream:VaryByHeaders:0"] = "Accept-Language",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    public static GatewayHost Create(TestDatabase database, string prefix, FakeTimeProvider time, UpstreamServer upstream, IDictionary<string, string?>? extra = null) =>
        new(database, prefix, time, Settings(upstream, extra));
}
