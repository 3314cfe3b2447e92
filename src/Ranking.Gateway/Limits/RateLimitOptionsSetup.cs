using Microsoft.Extensions.Options;

namespace Ranking.Gateway.Limits;

/// <summary>
/// Reads <c>RateLimits</c>. A policy's bucket starts from <c>Default</c>'s, so it names only what differs. Read key by
/// key rather than bound: the binder silently drops a dictionary entry holding a value it cannot convert, and this
/// way such a value stops start-up with the key named.
/// </summary>
internal sealed class RateLimitOptionsSetup(IConfiguration configuration) : IConfigureOptions<RateLimitOptions>
{
    public void Configure(RateLimitOptions options)
    {
        var section = configuration.GetSection(RateLimitOptions.Section);
        options.Enabled = section.GetValue(nameof(RateLimitOptions.Enabled), options.Enabled);
        options.Default = Read(section.GetSection(nameof(RateLimitOptions.Default)), options.Default);
        foreach (var policy in section.GetSection(nameof(RateLimitOptions.Policies)).GetChildren())
        {
            options.Policies[policy.Key] = Read(policy, options.Default);
        }
    }

    private static TokenBucketLimit Read(IConfigurationSection section, TokenBucketLimit fallback) => new()
    {
        TokenLimit = section.GetValue(nameof(TokenBucketLimit.TokenLimit), fallback.TokenLimit),
        TokensPerPeriod = section.GetValue(nameof(TokenBucketLimit.TokensPerPeriod), fallback.TokensPerPeriod),
        ReplenishmentPeriod = section.GetValue(nameof(TokenBucketLimit.ReplenishmentPeriod), fallback.ReplenishmentPeriod),
    };
}
