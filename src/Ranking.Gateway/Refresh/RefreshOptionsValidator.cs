using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Ranking;

namespace Ranking.Gateway.Refresh;

/// <summary>Checks <c>Ranking:Refresh</c> and the group queries it uses, naming the offending key.</summary>
internal sealed partial class RefreshOptionsValidator(IOptions<GatewayOptions> gateway) : IValidateOptions<RankingOptions>
{
    private const string Key = "Ranking:Refresh";

    public ValidateOptionsResult Validate(string? name, RankingOptions options)
    {
        var errors = new List<string>();
        var refresh = options.Refresh;
        Uses(options.GroupsSql, "Ranking:GroupsSql", "@after", "@limit");
        Uses(options.ChangedGroupsSql, "Ranking:ChangedGroupsSql", "@since");
        Uses(options.BatchTopNSql, "Ranking:BatchTopNSql", "@groups", "@limit");

        if (!Enum.IsDefined(refresh.Mode))
        {
            errors.Add($"{Key}:Mode must be one of {string.Join(", ", Enum.GetNames<RefreshMode>())}.");
        }

        if (refresh.Period < TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"{Key}:Period must be at least 00:00:00.100 (was {refresh.Period}).");
        }

        InRange(refresh.PageSize, 1, 100_000, "PageSize");
        InRange(refresh.Concurrency, 1, 64, "Concurrency");
        InRange(refresh.BatchSize, 1, 1000, "BatchSize");
        InRange(refresh.Consumers, 0, 16, "Consumers");
        InRange(refresh.MaxDeliveries, 1, 100, "MaxDeliveries");
        InRange(refresh.QueueShards, 1, RefreshOptions.MaxQueueShards, "QueueShards");
        if (refresh.RetryBackoff <= TimeSpan.Zero)
        {
            errors.Add($"{Key}:RetryBackoff must be positive (was {refresh.RetryBackoff}).");
        }

        if (refresh.LeaseDuration < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{Key}:LeaseDuration must be at least 00:00:01 (was {refresh.LeaseDuration}).");
        }

        if (refresh.RetainFor < refresh.Period)
        {
            errors.Add($"{Key}:RetainFor ({refresh.RetainFor}) must be at least {Key}:Period ({refresh.Period}).");
        }

        if (refresh.WatermarkOverlap < TimeSpan.Zero)
        {
            errors.Add($"{Key}:WatermarkOverlap must not be negative (was {refresh.WatermarkOverlap}).");
        }

        if (!double.IsFinite(refresh.Beta) || refresh.Beta <= 0)
        {
            errors.Add($"{Key}:Beta must be a positive number (was {refresh.Beta}).");
        }

        if (gateway.Value.Policies.TryGetValue(options.Policy, out var policy) && refresh.VisibilityTimeout <= policy.OriginTimeout)
        {
            errors.Add($"{Key}:VisibilityTimeout ({refresh.VisibilityTimeout}) must be longer than Gateway:Policies:{options.Policy}:OriginTimeout ({policy.OriginTimeout}), or a slow batch is taken over while it still runs.");
        }

        if (options.RejectUnknownGroups == true && options.Origin != RankingOriginKind.Postgres)
        {
            errors.Add("Ranking:RejectUnknownGroups needs Ranking:Origin Postgres: it lists the groups with Ranking:GroupsSql.");
        }

        if (options.KnownGroupsPoll < TimeSpan.FromMilliseconds(100) || options.KnownGroupsPoll > options.KnownGroupsRefresh)
        {
            errors.Add($"Ranking:KnownGroupsPoll must be from 00:00:00.1 to Ranking:KnownGroupsRefresh ({options.KnownGroupsRefresh}) (was {options.KnownGroupsPoll}).");
        }

        if (options.KnownGroupsFalsePositiveRate is <= 0 or >= 0.5 || !double.IsFinite(options.KnownGroupsFalsePositiveRate))
        {
            errors.Add($"Ranking:KnownGroupsFalsePositiveRate must be above 0 and below 0.5 (was {options.KnownGroupsFalsePositiveRate}).");
        }

        if (options.KnownGroupsExpected < 1)
        {
            errors.Add($"Ranking:KnownGroupsExpected must be at least 1 (was {options.KnownGroupsExpected}).");
        }

        if (options.KnownGroupsRefresh < TimeSpan.FromSeconds(1))
        {
            errors.Add($"Ranking:KnownGroupsRefresh must be at least 00:00:01 (was {options.KnownGroupsRefresh}).");
        }

        if (refresh.Mode is RefreshMode.CompetingLocks or RefreshMode.Queue && options.Origin != RankingOriginKind.Postgres)
        {
            errors.Add($"{Key}:Mode {refresh.Mode} needs Ranking:Origin Postgres: it lists and watches groups in PostgreSQL.");
        }

        if (!Enum.IsDefined(refresh.Changes))
        {
            errors.Add($"{Key}:Changes must be one of {string.Join(", ", Enum.GetNames<ChangeSource>())}.");
        }

        // Written into SQL and replication commands as identifiers, so only plain lower-case names (a slot's rule).
        Identifier(refresh.ReplicationSlot, "ReplicationSlot");
        Identifier(refresh.ReplicationPublication, "ReplicationPublication");
        Identifier(refresh.ReplicationGroupColumn, "ReplicationGroupColumn");
        if (refresh.ReplicationTable.Split('.') is not { Length: 1 or 2 } parts || !parts.All(PlainName().IsMatch))
        {
            errors.Add($"{Key}:ReplicationTable must be a table name, optionally schema-qualified, of lower-case letters, digits and underscores (was '{refresh.ReplicationTable}').");
        }

        if (refresh.ReplicationRetry < TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"{Key}:ReplicationRetry must be at least 00:00:00.100 (was {refresh.ReplicationRetry}).");
        }

        if (refresh.ReplicationLagWarning < 1)
        {
            errors.Add($"{Key}:ReplicationLagWarning must be a positive number of bytes (was {refresh.ReplicationLagWarning}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);

        void Identifier(string value, string setting)
        {
            if (!PlainName().IsMatch(value))
            {
                errors.Add($"{Key}:{setting} must be 1 to 63 lower-case letters, digits and underscores, not starting with a digit (was '{value}').");
            }
        }

        void Uses(string sql, string key, params string[] parameters)
        {
            foreach (var parameter in parameters)
            {
                if (!sql.Contains(parameter, StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"{key} must use the parameter {parameter}.");
                }
            }
        }

        void InRange(int value, int min, int max, string setting)
        {
            if (value < min || value > max)
            {
                errors.Add($"{Key}:{setting} must be from {min} to {max} (was {value}).");
            }
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial System.Text.RegularExpressions.Regex PlainName();
}
