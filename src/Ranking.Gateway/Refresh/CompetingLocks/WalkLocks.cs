using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Ranking;
using StackExchange.Redis;

namespace Ranking.Gateway.Refresh.CompetingLocks;

/// <summary>
/// The source document's per-group lock: <c>SET {prefix}{ranking:g}:walk:{period} instance NX PX …</c>, one per group per
/// period number. It is never released: it lasts for the period, so an instance that walks later in the same period
/// (a slow one) finds it taken and cannot recompute the group again. A page of groups is one pipelined round of SETs.
/// </summary>
internal sealed class WalkLocks(IConnectionMultiplexer redis, RedisAccess access, RefreshInstance instance)
{
    /// <returns>For each group, whether this instance won it; null for a group whose lock could not be tried.</returns>
    public async Task<bool?[]> TryTakeAsync(IReadOnlyList<string> groups, long period, TimeSpan expiry)
    {
        var database = redis.GetDatabase();
        var attempts = groups
            .Select(group => database.StringSetAsync(access.SlotKey(RankingReader.Key(group), $"walk:{period}"), instance.Name, expiry, When.NotExists))
            .ToArray();
        try
        {
            await Task.WhenAll(attempts);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Looked at one by one below: some may have answered before Redis failed.
        }

        return attempts.Select(a => a.IsCompletedSuccessfully ? a.Result : (bool?)null).ToArray();
    }
}
