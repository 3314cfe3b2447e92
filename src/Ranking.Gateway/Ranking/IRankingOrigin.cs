namespace Ranking.Gateway.Ranking;

/// <summary>Where rankings come from when the cache cannot answer.</summary>
internal interface IRankingOrigin
{
    /// <returns>The group's Top-<paramref name="limit"/>, or null when the group has no scores.</returns>
    Task<RankingDocument?> GetTopAsync(string group, int limit, CancellationToken cancellationToken);

    /// <returns>The Top-<paramref name="limit"/> of each group that has scores, in one round trip where the origin can.</returns>
    Task<IReadOnlyDictionary<string, RankingDocument>> GetTopManyAsync(IReadOnlyList<string> groups, int limit, CancellationToken cancellationToken);
}
