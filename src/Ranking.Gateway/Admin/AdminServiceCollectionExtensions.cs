using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ranking.Gateway.Admin;

internal static class AdminServiceCollectionExtensions
{
    /// <summary>The admin API (section <c>Admin</c>): its key, checked at start-up, and what its endpoints use.</summary>
    public static IServiceCollection AddAdmin(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>();
        services.TryAddSingleton<AdminApiKey>();
        services.TryAddSingleton<AdminTargets>();
        services.TryAddSingleton<EntryAdmin>();
        services.TryAddSingleton<QueueAdmin>();
        services.TryAddSingleton<PurgeAdmin>();
        services.TryAddSingleton<PurgePacer>();
        services.AddHostedService(sp => sp.GetRequiredService<PurgePacer>());
        services.TryAddSingleton<InstanceRegistry>();
        services.TryAddSingleton<Overview>();
        services.AddHostedService(sp => sp.GetRequiredService<InstanceRegistry>());
        return services;
    }
}
