using System.Collections.Concurrent;
using System.Diagnostics;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Hosting;

namespace Ranking.Gateway.Caching;

/// <summary>
/// Background refresh of a stale (or, in Early mode, soon stale) entry: at most one per key on this instance, and under
/// the key's RedLock one across all instances, without waiting for it (the loser waits for the winner's entry instead).
/// The new entry is stored with the compare-and-set, so an older answer never overwrites a newer one. Refreshes of
/// soft-purged entries are paced (<see cref="PurgeRefreshes"/>).
/// </summary>
internal sealed partial class Revalidator(
    RedisEntryStore store,
    RedisAccess redis,
    FillSignals fills,
    RefreshLocks locks,
    OriginCaller caller,
    PurgeRefreshes purgeRefreshes,
    LocalCache l1,
    CacheMetrics metrics,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<Revalidator> logger)
{
    private readonly CancellationToken _stopping = lifetime.ApplicationStopping;
    private readonly ConcurrentDictionary<string, byte> _revalidating = new(StringComparer.Ordinal);

    /// <summary>Background refreshes this instance has started and not finished.</summary>
    public int ActiveRevalidations => _revalidating.Count;

    /// <summary>Starts a background refresh of <paramref name="stale"/> unless one for its key runs on this instance.</summary>
    public void Start(in CacheRequest request, CacheEntry stale)
    {
        if (!_revalidating.TryAdd(request.Key, 0))
        {
            return;
        }

        if (stale.Flags.HasFlag(EntryFlags.Purged) && !purgeRefreshes.TryStart())
        {
            // A soft purge's refreshes are paced: this read is answered STALE, a later one refreshes.
            _revalidating.TryRemove(request.Key, out _);
            return;
        }

        OriginRequest call;
        try
        {
            // Captured now, while the reader's request is alive; the refresh outlives it.
            call = request.Capture(FetchReason.Refresh);
        }
        catch
        {
            _revalidating.TryRemove(request.Key, out _);
            throw;
        }

        var read = request;
        call = call with { Previous = stale };
        var cause = Activity.Current?.Context ?? default;
        _ = Task.Run(() => RevalidateAsync(read, call, stale, cause), CancellationToken.None);
    }

    /// <summary>
    /// Fetches the key from its origin and stores the answer with the compare-and-set, without taking the key's lock:
    /// for a caller that already decided it is the one to refresh (a lock winner, a queue consumer, an admin call).
    /// </summary>
    public Task<Refreshed> RefreshAsync(CacheRequest request) => RefreshAsync(request, request.Capture(FetchReason.Refresh));

    /// <summary>Stores an entry with the compare-and-set (other instances drop their L1 copies) and drops this instance's.</summary>
    /// <returns>True if stored, false if a newer entry was there, null if Redis is unavailable.</returns>
    public async Task<bool?> StoreAsync(CacheRequest request, CacheEntry entry)
    {
        var stored = await store.SetAsync(request.Key, entry, request.TimeToLive(entry, time.GetUtcNow()));
        l1.Remove(request.Key);
        return stored;
    }

    // A trace of its own, linked to the read that started it: the refresh outlives that request.
    private async Task RevalidateAsync(CacheRequest request, OriginRequest call, CacheEntry stale, ActivityContext cause)
    {
        using var activity = GatewayTracing.StartLinked(GatewayTracing.Refresh, cause);
        activity?.SetTag(GatewayTracing.Policy, request.PolicyName);
        var outcome = "error";
        try
        {
            outcome = await RevalidateUnderLockAsync(request, call, stale);
            if (outcome == Refreshed.OriginFailed)
            {
                // This instance leaves the key alone for a while (the key stays in _revalidating); the lock is already
                // released, so another instance may try at once.
                await Task.Delay(request.Policy.RetryDelay, _stopping);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            outcome = "cancelled";
        }
        catch (Exception ex)
        {
            Log.RevalidationError(logger, request.PolicyName, ex);
        }
        finally
        {
            _revalidating.TryRemove(request.Key, out _);
            metrics.Revalidation(request.PolicyName, outcome);
            activity?.SetTag(GatewayTracing.Outcome, outcome);
        }
    }

    private async Task<string> RevalidateUnderLockAsync(CacheRequest request, OriginRequest call, CacheEntry stale)
    {
        await using var redLock = await locks.TryAcquireAsync(request.Key, request.Policy.LockExpiry);
        if (redLock is null && !redis.IsAvailable)
        {
            // Not another instance's refresh: Redis is away, and a refresh could store nothing.
            return "redis-unavailable";
        }

        if (redLock is null)
        {
            // Another instance is refreshing: wait for its entry rather than trying again on every read.
            if ((await fills.WaitForNewerAsync(request.Key, stale.GeneratedAt, request.Policy.LockExpiry, _stopping)).Entry is not null)
            {
                l1.Remove(request.Key);
            }

            return "lock-busy";
        }

        // The shared entry may already be newer than the copy this instance saw.
        var current = await store.GetAsync(request.Key);
        if (current.Entry is { } newer && newer.GeneratedAt > stale.GeneratedAt
            && request.Judge(newer, time.GetUtcNow()).Status == CacheStatus.Fresh)
        {
            l1.Remove(request.Key);
            return "already-fresh";
        }

        return (await RefreshAsync(request, call)).Outcome;
    }

    private async Task<Refreshed> RefreshAsync(CacheRequest request, OriginRequest call)
    {
        var fetched = await caller.FetchAsync(request.Origin, request.PolicyName, call);
        if (fetched.Failure is { } failure)
        {
            if (failure.Overloaded)
            {
                return new Refreshed(Refreshed.Overloaded, failure.ToException());
            }

            // A refresh the gateway's own stop cut short is no failure worth a warning (the origin caller does not log it either).
            if (failure.Kind != OriginFailureKind.Cancelled)
            {
                Log.RevalidationFailed(logger, request.PolicyName, failure.Cause);
            }

            return new Refreshed(Refreshed.OriginFailed, failure.ToException());
        }

        if (!fetched.Storable)
        {
            l1.Remove(request.Key);
            return new Refreshed(Refreshed.NotStored);
        }

        return Refreshed.OfStore(await StoreAsync(request, fetched.Entry!));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.RevalidationFailed, Level = LogLevel.Warning, Message = "Background refresh for policy {Policy} failed; the stale entry is kept.")]
        public static partial void RevalidationFailed(ILogger logger, string policy, Exception? exception);

        [LoggerMessage(EventId = EventIds.RevalidationError, Level = LogLevel.Error, Message = "Background refresh for policy {Policy} threw.")]
        public static partial void RevalidationError(ILogger logger, string policy, Exception exception);
    }
}
