using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Ranking;

/// <summary>Checks the Top-N SQL's parameters, the policy it names and, for an upstream origin, its cluster.</summary>
internal sealed class RankingOptionsQueryValidator(IOptions<GatewayOptions> gateway, IConfiguration configuration) : IValidateOptions<RankingOptions>
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

        if (options.TagsSql.Length > 0 != options.BatchTagsSql.Length > 0)
        {
            errors.Add("Ranking:TagsSql and Ranking:BatchTagsSql are set together (a group's tags, and a batch's), or neither.");
        }
        else if (options.TagsSql.Length > 0
            && (!options.TagsSql.Contains("@group", StringComparison.OrdinalIgnoreCase) || !options.BatchTagsSql.Contains("@groups", StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add("Ranking:TagsSql must use the parameter @group, and Ranking:BatchTagsSql @groups.");
        }

        if (!gateway.Value.Policies.ContainsKey(options.Policy))
        {
            errors.Add($"Ranking:Policy names '{options.Policy}', which is not defined under Gateway:Policies.");
        }

        if (options.Origin == RankingOriginKind.Upstream)
        {
            if (string.IsNullOrWhiteSpace(options.UpstreamCluster))
            {
                errors.Add("Ranking:UpstreamCluster is required when Ranking:Origin is Upstream.");
            }
            else if (!configuration.GetSection($"ReverseProxy:Clusters:{options.UpstreamCluster}").Exists())
            {
                errors.Add($"Ranking:UpstreamCluster names '{options.UpstreamCluster}', which is not a cluster under ReverseProxy:Clusters.");
            }

            if (!options.UpstreamPath.StartsWith('/') || !options.UpstreamPath.Contains("{group}", StringComparison.Ordinal))
            {
                errors.Add("Ranking:UpstreamPath must start with '/' and contain {group}.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
