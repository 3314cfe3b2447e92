using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Ranking.Gateway.Refresh;

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

    /// <summary>
    /// The Top-N of many groups in one round trip (queue consumers): parameters <c>@groups</c> (text[]) and
    /// <c>@limit</c>, columns (group id, user id, score), each group's rows best first.
    /// </summary>
    public const string DefaultBatchTopNSql = """
        SELECT g.group_id, t.user_id, t.score
        FROM unnest(@groups::text[]) AS g(group_id)
        CROSS JOIN LATERAL (
          SELECT r.user_id, r.score FROM ranking_scores r
          WHERE r.group_id = g.group_id ORDER BY r.score DESC, r.user_id LIMIT @limit) AS t
        ORDER BY g.group_id, t.score DESC, t.user_id
        """;

    /// <summary>
    /// One page of all group ids, in order, after <c>@after</c> (empty on the first page), at most <c>@limit</c>.
    /// A loose index scan over the primary key: one index probe per group, never a scan of every score.
    /// </summary>
    public const string DefaultGroupsSql = """
        WITH RECURSIVE g(group_id) AS (
          (SELECT group_id FROM ranking_scores WHERE group_id > @after ORDER BY group_id LIMIT 1)
          UNION ALL
          SELECT (SELECT r.group_id FROM ranking_scores r WHERE r.group_id > g.group_id ORDER BY r.group_id LIMIT 1)
          FROM g WHERE g.group_id IS NOT NULL)
        SELECT group_id FROM g WHERE group_id IS NOT NULL LIMIT @limit
        """;

    /// <summary>
    /// Groups whose scores changed, or were deleted, after <c>@since</c>: columns (group id, when it last changed).
    /// Served by the <c>(updated_at, group_id)</c> index of <c>db/schema.sql</c> and its <c>ranking_deletions</c> table,
    /// which a trigger fills with the groups a DELETE touched.
    /// </summary>
    public const string DefaultChangedGroupsSql = """
        SELECT group_id, max(at) FROM (
          SELECT group_id, updated_at AS at FROM ranking_scores WHERE updated_at > @since
          UNION ALL
          SELECT group_id, deleted_at FROM ranking_deletions WHERE deleted_at > @since) changed
        GROUP BY group_id
        """;

    /// <summary>The cache policy (a name under <c>Gateway:Policies</c>) ranking reads use.</summary>
    [Required]
    public string Policy { get; set; } = "ranking";

    /// <summary>
    /// Top-N query for an existing database: parameters <c>@group</c> and <c>@limit</c>, columns
    /// (user id, score), best first.
    /// </summary>
    [Required]
    public string TopNSql { get; set; } = DefaultTopNSql;

    /// <inheritdoc cref="DefaultBatchTopNSql"/>
    [Required]
    public string BatchTopNSql { get; set; } = DefaultBatchTopNSql;

    /// <inheritdoc cref="DefaultGroupsSql"/>
    [Required]
    public string GroupsSql { get; set; } = DefaultGroupsSql;

    /// <inheritdoc cref="DefaultChangedGroupsSql"/>
    [Required]
    public string ChangedGroupsSql { get; set; } = DefaultChangedGroupsSql;

    /// <summary>
    /// Tags of one group's entry besides its group, one per row in the first column, with the parameter <c>@group</c>
    /// (for example <c>SELECT tag FROM ranking_group_tags WHERE group_id = @group</c>): a season, a region, a board, so
    /// one <c>POST /_admin/purge</c> by tag reaches every group that has it. Run beside each Top-N. Empty (the default):
    /// none. Set it together with <see cref="BatchTagsSql"/>.
    /// </summary>
    public string TagsSql { get; set; } = "";

    /// <summary>
    /// <see cref="TagsSql"/> for a batch (Queue mode), with the parameter <c>@groups</c> (a text array): rows of (group
    /// id, tag).
    /// </summary>
    public string BatchTagsSql { get; set; } = "";

    /// <summary>
    /// Answer 404 without a query for a group id outside the set <see cref="GroupsSql"/> lists (<see cref="KnownGroups"/>),
    /// so a flood of random ids never reaches Redis or PostgreSQL. Unset: on with a PostgreSQL origin, off otherwise.
    /// </summary>
    public bool? RejectUnknownGroups { get; set; }

    /// <summary>How often the whole set of known groups is read again (the groups deleted leave it then).</summary>
    public TimeSpan KnownGroupsRefresh { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the groups changed since the last look are added to the set: a new group is readable within about this long.</summary>
    public TimeSpan KnownGroupsPoll { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The share of ids that do not exist that the set lets through (each then costs a miss and is cached as a 404).</summary>
    public double KnownGroupsFalsePositiveRate { get; set; } = 0.01;

    /// <summary>The group count the first set is sized for (later ones: the last count found, plus a quarter).</summary>
    public long KnownGroupsExpected { get; set; } = 100_000;

    /// <summary>How cached rankings are kept fresh: <c>Ranking:Refresh</c>.</summary>
    public RefreshOptions Refresh { get; set; } = new();

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
