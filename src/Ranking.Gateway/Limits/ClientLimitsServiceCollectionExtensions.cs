using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ranking.Gateway.Limits;

internal static class ClientLimitsServiceCollectionExtensions
{
    /// <summary>Per-client rate limits (<c>RateLimits</c>) and the proxies trusted to name the client (<c>ForwardedHeaders</c>).</summary>
    public static IServiceCollection AddClientLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RateLimitOptions>().ValidateOnStart();
        services.AddSingleton<IConfigureOptions<RateLimitOptions>, RateLimitOptionsSetup>();
        services.AddSingleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>();
        services.AddOptions<TrustedProxiesOptions>().Bind(configuration.GetSection(TrustedProxiesOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TrustedProxiesOptions>, TrustedProxiesOptionsValidator>();

        services.TryAddSingleton<RateLimitMetrics>();
        services.TryAddSingleton<ClientRateLimiter>();
        // The middleware's services; its options need ClientRateLimiter from the container, so they are configured apart.
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<ClientRateLimiter>((options, limiter) =>
        {
            options.GlobalLimiter = limiter.Limiter;
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = limiter.RejectAsync;
        });
        return services;
    }
}
