using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Ranking.Gateway.Ranking;

/// <summary>Where the built-in ranking endpoint reads rankings from when the cache cannot answer.</summary>
public enum RankingOriginKind
{
    /// <summary>The Top-N query against PostgreSQL.</summary>
    Postgres,

    /// <summary>An existing ranking service: a cluster of the <c>ReverseProxy</c> section.</summary>
    Upstream,
}

/// <summary>The built-in ranking endpoint, section <c>Ranking</c>.</summary>
public sealed class RankingOptions
{
    public const string Section = "Ranking";

    public const string DefaultTopNSql =
        "SELECT user_id, score FROM ranking_scores WHERE group_id = @group ORDER BY score DESC, user_id LIMIT @limit";

    /// <summary>The cache policy (a name under <c>Gateway:Policies</c>) ranking reads use.</summary>
    [Required]
    public string Policy { get; set; } = "ranking";

    /// <summary>
    /// Top-N query for an existing database: parameters <c>@group</c> and <c>@limit</c>, columns
    /// (user id, score), best first.
    /// </summary>
    [Required]
    public string TopNSql { get; set; } = DefaultTopNSql;

    /// <summary>Read from PostgreSQL (default) or from an existing ranking service.</summary>
    public RankingOriginKind Origin { get; set; } = RankingOriginKind.Postgres;

    /// <summary>With <c>Origin: Upstream</c>, the YARP cluster of the existing service.</summary>
    public string? UpstreamCluster { get; set; }

    /// <summary>
    /// With <c>Origin: Upstream</c>, the path asked for: <c>{group}</c> and <c>{limit}</c> are filled in. The service
    /// must answer the same JSON as this gateway, or 404 for an unknown group.
    /// </summary>
    public string UpstreamPath { get; set; } = "/ranking/{group}?limit={limit}";
}

[OptionsValidator]
internal sealed partial class RankingOptionsValidator : IValidateOptions<RankingOptions>;
