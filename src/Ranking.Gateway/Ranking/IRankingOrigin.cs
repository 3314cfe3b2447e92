using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Ranking;

/// <summary>
/// Where rankings come from when the cache cannot answer: an origin like any other for one group (its target is the
/// group id; a group without scores is a 404 answer, cached as a negative one), and many groups at once for the
/// background refresh modes.
/// </summary>
internal interface IRankingOrigin : IOrigin
{
    /// <returns>The answer of each group that has scores, in one round trip where the origin can.</returns>
    /// <exception cref="Exception">The origin failed: the caller recomputes the groups one by one.</exception>
    Task<IReadOnlyDictionary<string, OriginResponse>> FetchManyAsync(IReadOnlyList<string> groups, CancellationToken cancellationToken);
}
