using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Ranking.Gateway.Ranking;

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
}

[OptionsValidator]
internal sealed partial class RankingOptionsValidator : IValidateOptions<RankingOptions>;
