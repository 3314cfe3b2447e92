using System.Text.Json.Serialization;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Admin;

/// <summary>
/// One cache entry as the admin API shows it. <paramref name="Status"/> is what a read would answer now: <c>FRESH</c>,
/// <c>STALE</c>, <c>EXPIRED</c> (in Redis, but a read would fetch it again) or <c>ABSENT</c>; <paramref name="Bytes"/> is
/// the size of the cached body; <paramref name="LockHeld"/> says whether an instance is fetching it right now.
/// <paramref name="Refresh"/> is set by a refresh: <c>refreshed</c>, or <c>not-stored</c> when the origin's answer may not be
/// kept or a newer entry was already there. <paramref name="Tags"/> are what it can be purged by besides its key;
/// <paramref name="Purged"/> says a soft purge marked it and no refresh has replaced it yet.
/// </summary>
internal sealed record EntryState(
    string Key,
    string RedisKey,
    string Status,
    int? StatusCode,
    DateTimeOffset? GeneratedAt,
    DateTimeOffset? FreshUntil,
    DateTimeOffset? StaleUntil,
    DateTimeOffset? ErrorUntil,
    int? Bytes,
    bool LockHeld,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Refresh = null,
    IReadOnlyList<string>? Tags = null,
    bool Purged = false)
{
    /// <summary>The state of <paramref name="request"/>'s entry, judged as a read of it would be.</summary>
    public static EntryState Of(CacheRequest request, string redisKey, CacheEntry? entry, bool lockHeld, DateTimeOffset now, string? refresh = null)
    {
        if (entry is null)
        {
            return new EntryState(request.Key, redisKey, "ABSENT", null, null, null, null, null, null, lockHeld, refresh);
        }

        var status = request.Judge(entry, now).Status switch
        {
            CacheStatus.Fresh => "FRESH",
            CacheStatus.Stale => "STALE",
            _ => "EXPIRED",
        };
        return new EntryState(
            request.Key,
            redisKey,
            status,
            entry.StatusCode,
            entry.GeneratedAt,
            entry.FreshUntil,
            entry.StaleUntil,
            entry.ErrorUntil,
            entry.Body.Length,
            lockHeld,
            refresh,
            entry.TagList,
            entry.Flags.HasFlag(EntryFlags.Purged));
    }
}
