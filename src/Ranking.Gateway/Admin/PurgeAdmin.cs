using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Proxy;
using Ranking.Gateway.Ranking;
using Ranking.Gateway.Refresh;
using Ranking.Gateway.Refresh.Queue;

namespace Ranking.Gateway.Admin;

/// <summary>
/// <c>POST /_admin/purge</c>: purges entries by key, by ranking group and by tag, in one call. Soft (the default) marks
/// them out of date: the next read is STALE and starts one refresh, paced (<see cref="PurgeRefreshes"/>), and the groups
/// named are refreshed in the background at that pace (<see cref="PurgePacer"/>); in Queue mode a group is queued for
/// the consumers instead. Hard deletes them: the next read anywhere is a MISS. Either way every instance drops its
/// in-process copies, and no refresh whose origin read began before the purge can store its answer afterwards (the key's
/// and the tag's purge times, checked in the store's compare-and-set).
/// </summary>
internal sealed class PurgeAdmin(
    SwrCache cache,
    RedisEntryStore store,
    QueueIntake queue,
    PurgePacer pacer,
    IOptions<RankingOptions> ranking,
    TimeProvider time)
{
    /// <summary>Names (keys, groups and tags together) one call may purge.</summary>
    public const int MaxNames = 1000;

    /// <summary>Keys purged at once.</summary>
    private const int Parallelism = 64;

    public async Task<IResult> PurgeAsync(PurgeRequest? request)
    {
        if (Invalid(request) is { } problem)
        {
            return problem;
        }

        // Nothing is changed on any instance unless Redis answers now.
        if (!await store.PingAsync())
        {
            return RedisUnavailable("nothing was purged");
        }

        var soft = request!.Soft ?? true;
        var keys = new HashSet<string>(request.Keys ?? [], StringComparer.Ordinal);
        keys.UnionWith((request.Groups ?? []).Select(RankingReader.Key));
        foreach (var tag in request.Tags ?? [])
        {
            // A ranking entry's tag is its group: it needs no index.
            if (RankingEndpoint.GroupId().IsMatch(tag))
            {
                keys.Add(RankingReader.Key(tag));
            }

            if (await store.PurgeTagAsync(tag) is not { } tagged)
            {
                return RedisUnavailable("the tags named before this one were recorded as purged, but no entry was purged");
            }

            keys.UnionWith(tagged);
        }

        var queueMode = ranking.Value.Refresh.Mode == RefreshMode.Queue;
        var (affected, failed) = (0L, 0L);
        var queued = new ConcurrentBag<string>();
        var paced = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (key, _) =>
        {
            var group = RankingReader.GroupOf(key);
            var kind = !soft ? PurgeKind.Hard : group is not null && queueMode ? PurgeKind.Epoch : PurgeKind.Soft;
            switch (await cache.PurgeAsync(key, kind))
            {
                case null:
                    Interlocked.Increment(ref failed);
                    break;
                case true:
                    Interlocked.Increment(ref affected);
                    (kind == PurgeKind.Epoch ? queued : kind == PurgeKind.Soft && group is not null ? paced : null)?.Add(group!);
                    break;
            }
        });

        if (!queued.IsEmpty && !await QueueAsync(queued))
        {
            failed++;
        }

        pacer.Add(paced);
        return failed > 0
            ? RedisUnavailable($"{affected} of the entries were purged before it stopped answering; the call can be repeated")
            : TypedResults.Json(new PurgeDone(affected, soft, queued.Count, paced.Count), AdminJsonContext.Default.PurgeDone);
    }

    private async Task<bool> QueueAsync(IEnumerable<string> groups)
    {
        var now = time.GetUtcNow();
        try
        {
            await queue.EnqueueAsync([.. groups.Select(g => new GroupChange(g, now.UtcDateTime))], now);
            await queue.WakeConsumersAsync();
            return true;
        }
        catch (Exception ex) when (RedisAccess.IsFailure(ex))
        {
            return false;
        }
    }

    private static IResult? Invalid(PurgeRequest? request)
    {
        if (request is null || (request.Keys ?? []).Concat(request.Groups ?? []).Concat(request.Tags ?? []).Any(n => n is null))
        {
            return Problem("Invalid purge", "Send {\"tags\": [...], \"groups\": [...], \"keys\": [...], \"soft\": true}: lists of strings, any of them, and soft (the default) or hard (\"soft\": false).");
        }

        if ((request.Keys?.Length ?? 0) + (request.Groups?.Length ?? 0) + (request.Tags?.Length ?? 0) is not (> 0 and <= MaxNames))
        {
            return Problem("Invalid purge", $"Name 1 to {MaxNames} keys, groups and tags in all.");
        }

        if (request.Groups?.FirstOrDefault(g => !RankingEndpoint.GroupId().IsMatch(g)) is { } group)
        {
            return Problem("Invalid group id", $"'{Shown(group)}' is not a group id: 1 to 64 characters, a letter or digit, then letters, digits, '_', '.', ':' or '-'.");
        }

        if (request.Tags?.FirstOrDefault(t => !EntryTags.IsValid(t)) is { } tag)
        {
            return Problem("Invalid tag", $"'{Shown(tag)}' is not a tag: 1 to {EntryTags.MaxLength} visible ASCII characters, no commas.");
        }

        return request.Keys?.FirstOrDefault(k => k.Length is 0 or > ProxyCacheKey.KeyLimit) is { } key
            ? Problem("Invalid key", $"'{Shown(key)}' is not a cache key: 1 to {ProxyCacheKey.KeyLimit} characters, as GET /_admin/... shows it in \"key\".")
            : null;
    }

    private static string Shown(string name) => name.Length <= 80 ? name : name[..80] + "…";

    private static IResult Problem(string title, string detail) => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: title, detail: detail);

    private static IResult RedisUnavailable(string what) => TypedResults.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Redis unavailable",
        detail: $"The cache's Redis is not answering: {what}. Try again shortly.");
}

/// <summary>A purge: keys, groups and tags to purge, and how (soft by default).</summary>
internal sealed record PurgeRequest(string[]? Tags, string[]? Groups, string[]? Keys, bool? Soft);

/// <param name="Affected">Entries there were and were purged.</param>
/// <param name="Queued">Of those, Queue-mode groups queued for the consumers.</param>
/// <param name="Refreshing">Of those, groups this instance refreshes in the background at the purge pace.</param>
internal sealed record PurgeDone(long Affected, bool Soft, long Queued, long Refreshing);
