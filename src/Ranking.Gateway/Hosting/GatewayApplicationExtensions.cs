using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Ranking.Gateway.Admin;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Limits;
using Ranking.Gateway.Refresh;
using Ranking.Gateway.Proxy;
using Ranking.Gateway.Ranking;
using StackExchange.Redis;

namespace Ranking.Gateway.Hosting;

public static class GatewayApplicationExtensions
{
    /// <summary>Maps the ranking endpoint, the proxy routes (cached where a route names a policy), health and metrics.</summary>
    public static WebApplication MapRankingGateway(this WebApplication app)
    {
        // Connect to Redis once, now, rather than lazily on the first request under load.
        _ = app.Services.GetRequiredService<IConnectionMultiplexer>();
        var ranking = app.Services.GetRequiredService<IOptions<RankingOptions>>().Value;
        // Counters at zero, once the metrics pipeline listens (measurements made before it exists are lost).
        _ = app.Services.GetRequiredService<MeterProvider>();
        var policies = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.Policies.Keys;
        app.Services.GetRequiredService<CacheMetrics>().PublishZeros(policies);
        app.Services.GetRequiredService<RateLimitMetrics>().PublishZeros(policies);
        app.Services.GetRequiredService<RefreshMetrics>().PublishZeros(ranking.Refresh.Mode, ranking.Policy);

        app.UseClientLimits();
        app.UseExceptionHandler();
        app.UseMiddleware<EmptyErrorProblems>();
        app.UseMiddleware<AdminPathGuard>();
        app.UseAuthorizationWhereAsked();
        app.MapRanking().RateLimitedByRankingPolicy();
        app.MapAdmin();
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<CachedProxyMiddleware>();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
