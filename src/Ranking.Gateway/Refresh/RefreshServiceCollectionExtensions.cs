using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.FreshnessPolicies;
using Ranking.Gateway.Ranking;
using Ranking.Gateway.Refresh.CompetingLocks;
using Ranking.Gateway.Refresh.Queue;

namespace Ranking.Gateway.Refresh;

internal static class RefreshServiceCollectionExtensions
{
    /// <summary>The refresh modes (<c>Ranking:Refresh</c>): how ranking entries are judged, and who refreshes them.</summary>
    public static IServiceCollection AddRefreshModes(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<RankingOptions>, RefreshOptionsValidator>();
        services.TryAddSingleton<RefreshInstance>();
        services.TryAddSingleton<RefreshMetrics>();
        services.TryAddSingleton<GroupCatalog>();
        services.TryAddSingleton<GroupRefresher>();
        services.TryAddSingleton<WalkLocks>();
        services.TryAddSingleton<GroupWalker>();
        services.TryAddSingleton<RefreshQueue>();
        services.TryAddSingleton<QueueIntake>();
        services.TryAddSingleton<QueueDeliveries>();
        services.TryAddSingleton<LeaderLease>();
        services.TryAddSingleton<QueueVouch>();
        services.TryAddSingleton<ChangeStream>();
        services.TryAddSingleton<QueueProducer>();
        services.TryAddSingleton<OriginOutage>();
        services.TryAddSingleton<DeadLetters>();
        services.TryAddSingleton<QueueConsumer>();
        services.TryAddSingleton<IFreshnessPolicy>(sp =>
        {
            var refresh = sp.GetRequiredService<IOptions<RankingOptions>>().Value.Refresh;
            return refresh.Mode switch
            {
                RefreshMode.CompetingLocks => new WalkFreshness(refresh.Period),
                RefreshMode.Queue => new QueueFreshness(sp.GetRequiredService<QueueVouch>(), refresh.RetainFor),
                RefreshMode.Early => new EarlyFreshness(refresh.Beta),
                _ => LazyFreshness.Instance,
            };
        });
        services.AddHostedService<RefreshService>();
        return services;
    }
}
