using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Limits;

/// <summary>Checks every bucket and that each policy listed exists, naming the offending key.</summary>
internal sealed class RateLimitOptionsValidator(IOptions<GatewayOptions> gateway, IConfiguration configuration) : IValidateOptions<RateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        var errors = new List<string>();
        Bucket(options.Default, $"{RateLimitOptions.Section}:Default");
        foreach (var policy in configuration.GetSection($"{RateLimitOptions.Section}:Policies").GetChildren())
        {
            var key = $"{RateLimitOptions.Section}:Policies:{policy.Key}";
            if (!options.Policies.TryGetValue(policy.Key, out var limit))
            {
                // The binder drops a dictionary entry holding a value it cannot convert: bind it alone to say which.
                errors.Add(BindError(policy) ?? $"{key} could not be read.");
                continue;
            }

            Bucket(limit, key);
            if (!gateway.Value.Policies.ContainsKey(policy.Key))
            {
                errors.Add($"{key} names a policy that is not defined under Gateway:Policies ({string.Join(", ", gateway.Value.Policies.Keys)}).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);

        void Bucket(TokenBucketLimit limit, string key)
        {
            AtLeastOne(limit.TokenLimit, $"{key}:TokenLimit");
            AtLeastOne(limit.TokensPerPeriod, $"{key}:TokensPerPeriod");
            if (limit.ReplenishmentPeriod <= TimeSpan.Zero)
            {
                errors.Add($"{key}:ReplenishmentPeriod must be positive (was {limit.ReplenishmentPeriod}).");
            }
        }

        void AtLeastOne(int value, string key)
        {
            if (value < 1)
            {
                errors.Add($"{key} must be at least 1 (was {value}).");
            }
        }
    }

    private static string? BindError(IConfigurationSection section)
    {
        try
        {
            section.Get<TokenBucketLimit>();
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return ex.Message;
        }
    }
}
