using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Ranking;

/// <summary>Checks that the Top-N SQL takes its parameters and that the policy it names exists.</summary>
internal sealed class RankingOptionsQueryValidator(IOptions<GatewayOptions> gateway) : IValidateOptions<RankingOptions>
{
    public ValidateOptionsResult Validate(string? name, RankingOptions options)
    {
        var errors = new List<string>();
        foreach (var parameter in new[] { "@group", "@limit" })
        {
            if (!options.TopNSql.Contains(parameter, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"Ranking:TopNSql must use the parameter {parameter}.");
            }
        }

        if (!gateway.Value.Policies.ContainsKey(options.Policy))
        {
            errors.Add($"Ranking:Policy names '{options.Policy}', which is not defined under Gateway:Policies.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
