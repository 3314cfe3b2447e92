namespace Ranking.Gateway.Ranking;

/// <summary>Where rankings come from when the cache cannot answer.</summary>
internal interface IRankingOrigin
{
    /// <returns>The group's Top-<paramref name="limit"/>, or null when the group has no scores.</returns>
    Task<RankingDocument?> GetTopAsync(string group, int limit, CancellationToken cancellationToken);
}
