using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Limits;

/// <summary>Checks every bucket and that each policy listed exists, naming the offending key.</summary>
internal sealed class RateLimitOptionsValidator(IOptions<GatewayOptions> gateway) : IValidateOptions<RateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        const string Section = RateLimitOptions.Section;
        var errors = new List<string>();
        Bucket(options.Default, $"{Section}:Default");
        foreach (var (policy, limit) in options.Policies)
        {
            var key = $"{Section}:Policies:{policy}";
            Bucket(limit, key);
            if (!gateway.Value.Policies.ContainsKey(policy))
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
}
