using System.Globalization;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.Redis;

namespace Ranking.Gateway.Admin;

/// <summary>
/// The admin operations on one cache entry, whichever it is (a ranking group's, a cached route's): its state, purge,
/// refresh now. Redis being away is a 503, never an exception.
/// </summary>
internal sealed class EntryAdmin(SwrCache cache, RedisEntryStore store, RedisAccess redis, RefreshLocks locks, TimeProvider time)
{
    public async Task<IResult> StateAsync(CacheRequest request) =>
        await ReadAsync(request) is { } state ? Ok(state) : RedisUnavailable();

    /// <summary>
    /// Deletes the entry from Redis; every instance drops its in-process copy (this one at once, the others when the
    /// change channel tells them), so the next read anywhere is a MISS.
    /// </summary>
    public async Task<IResult> PurgeAsync(CacheRequest request) =>
        await cache.PurgeAsync(request.Key) is null ? RedisUnavailable() : await StateAsync(request);

    /// <summary>
    /// Recomputes the entry now, on this instance, under the key's refresh lock (one attempt, no waiting): no other
    /// instance refreshes it meanwhile, and while another does, 409. The new entry is stored with the compare-and-set and
    /// every instance drops its in-process copy.
    /// </summary>
    public async Task<IResult> RefreshAsync(CacheRequest request, HttpResponse response)
    {
        Refreshed refreshed;
        await using (var redLock = await locks.TryAcquireAsync(request.Key, request.Policy.LockExpiry))
        {
            if (redLock is null)
            {
                if (!redis.IsAvailable)
                {
                    return RedisUnavailable();
                }

                RetryAfter(response, request.Policy);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: "Refresh in progress",
                    detail: "An instance is fetching this entry right now (it holds the entry's refresh lock); its answer replaces the entry when it is done.");
            }

            refreshed = await cache.RefreshAsync(request);
        }

        if (refreshed.Outcome == Refreshed.OriginFailed)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status502BadGateway,
                title: "Origin failed",
                detail: "The origin did not answer the refresh; the cached entry is unchanged.");
        }

        if (refreshed.Outcome == Refreshed.Overloaded)
        {
            RetryAfter(response, request.Policy);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Origin busy",
                detail: "This instance's origin fetches for the policy are at their limit; the cached entry is unchanged. Try again shortly.");
        }

        if (!refreshed.Succeeded)
        {
            return RedisUnavailable();
        }

        // Read after the lock is released, so the state shows what any other caller would see now.
        return await ReadAsync(request, refreshed.Outcome) is { } state ? Ok(state) : RedisUnavailable();
    }

    private async Task<EntryState?> ReadAsync(CacheRequest request, string? refresh = null)
    {
        var read = await store.GetAsync(request.Key);
        var lockHeld = read.Available ? await store.IsLockHeldAsync(request.Key) : null;
        return lockHeld is { } held
            ? EntryState.Of(request, redis.EntryKey(request.Key), read.Entry, held, time.GetUtcNow(), refresh)
            : null;
    }

    private static void RetryAfter(HttpResponse response, CachePolicy policy) =>
        response.Headers.RetryAfter = ((long)Math.Ceiling(policy.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static IResult Ok(EntryState state) => TypedResults.Json(state, AdminJsonContext.Default.EntryState);

    private static IResult RedisUnavailable() => TypedResults.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Redis unavailable",
        detail: "The cache's Redis is not answering; nothing was read or changed. Try again shortly.");
}
