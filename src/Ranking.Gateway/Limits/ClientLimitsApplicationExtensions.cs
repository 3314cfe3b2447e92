using Microsoft.Extensions.Options;
using Ranking.Gateway.Ranking;

namespace Ranking.Gateway.Limits;

internal static class ClientLimitsApplicationExtensions
{
    /// <summary>
    /// Takes the client's address from <c>X-Forwarded-For</c> when the connection comes from a known proxy, then, with
    /// <c>RateLimits:Enabled</c>, limits each client per policy. Goes first, so everything after sees the real client
    /// and a refused request costs nothing more. (Routing has run already; it reads nothing these change.)
    /// </summary>
    public static IApplicationBuilder UseClientLimits(this IApplicationBuilder app)
    {
        var proxies = app.ApplicationServices.GetRequiredService<IOptions<TrustedProxiesOptions>>().Value;
        // ASP.NET Core trusts X-Forwarded-For from anyone when its known lists are empty: no proxies, no middleware.
        if (proxies.AnyConfigured)
        {
            app.UseForwardedHeaders(proxies.ToForwardedHeadersOptions());
        }

        if (app.ApplicationServices.GetRequiredService<IOptions<RateLimitOptions>>().Value.Enabled)
        {
            app.UseRateLimiter();
        }

        return app;
    }

    /// <summary>Counts the endpoint's requests against the budget of the ranking endpoint's policy (<c>Ranking:Policy</c>).</summary>
    public static TBuilder RateLimitedByRankingPolicy<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint => endpoint.Metadata.Add(new RateLimitPolicyMetadata(
            endpoint.ApplicationServices.GetRequiredService<IOptions<RankingOptions>>().Value.Policy)));
        return builder;
    }
}
