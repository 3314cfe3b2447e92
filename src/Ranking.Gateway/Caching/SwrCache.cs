using System.Collections.Concurrent;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Caching.Hybrid;
using Ranking.Gateway.Caching.Redis;

namespace Ranking.Gateway.Caching;

/// <summary>
/// The stale-while-revalidate engine. L1 is a short in-process HybridCache (which also gives in-process
/// single-flight); L2 is Redis, shared by every instance. FRESH answers come from the cache; STALE answers
/// too, at once, while one background refresh runs per key across all instances; a MISS is fetched once
/// across all instances (lock winner fetches, the others wait for its entry); without Redis, BYPASS.
/// </summary>
/// <remarks>
/// Entry lifetimes are read from <see cref="TimeProvider"/>; operational waits (origin timeout, miss wait,
/// retry delay) are wall-clock, since they bound real I/O.
/// </remarks>
internal sealed partial class SwrCache
{
    private readonly HybridCache _l1;
    private readonly RedisEntryStore _store;
    private readonly RefreshLocks _locks;
    private readonly CacheMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<SwrCache> _logger;
    private readonly CancellationToken _stopping;
    private readonly ConcurrentDictionary<string, byte> _revalidating = new();
    private readonly ConditionalWeakTable<CachePolicy, HybridCacheEntryOptions> _l1Options = [];
    private readonly ConditionalWeakTable<CachePolicy, ConcurrencyLimiter> _bulkheads = [];
    private long _loads;

    public SwrCache(HybridCache l1, RedisEntryStore store, RefreshLocks locks, CacheMetrics metrics, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<SwrCache> logger)
    {
        _l1 = l1;
        _store = store;
        _locks = locks;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _stopping = lifetime.ApplicationStopping;
        _store.ChangedElsewhere += key => _ = DropLocalCopyAsync(key);
    }

    /// <summary>Background refreshes this instance has started and not finished.</summary>
    public int ActiveRevalidations => _revalidating.Count;

    private enum Source
    {
        Cache,
        Origin,
        StaleIfError,
        Bypass,

        /// <summary>The origin forbade storing it: no client may be answered with it.</summary>
        Uncacheable,

        /// <summary>The origin failed and nothing may stand in: every caller fails, each with its own exception.</summary>
        Failed,
    }

    /// <exception cref="OriginUnavailableException">The origin failed and nothing cached may answer.</exception>
    public async ValueTask<CacheLookup> GetAsync(CacheRequest request, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var loadsBefore = Interlocked.Read(ref _loads);
            var item = await _l1.GetOrCreateAsync(
                request.Key,
                (Cache: this, Request: request),
                static (state, _) => state.Cache.LoadAsync(state.Request),
                L1Options(request.Policy),
                cancellationToken: cancellationToken);

            if (item.Source is Source.Uncacheable or Source.Failed)
            {
                // Such a verdict answers only the callers that waited on this load: the next read asks again.
                await _l1.RemoveAsync(request.Key, CancellationToken.None);
                if (item.Failure is { } failure)
                {
                    throw failure.ForCaller();
                }

                // The origin forbade storing this answer (Set-Cookie, private, no-store, too large).
                _metrics.Answer(request.PolicyName, CacheStatus.Miss, TimeSpan.Zero);
                return new CacheLookup(item.Entry, CacheStatus.Miss, Shareable: false, Stored: false);
            }

            var now = _time.GetUtcNow();
            var entry = item.Entry;
            var verdict = item.Source switch
            {
                Source.Bypass when now < entry.FreshUntil => new Freshness(CacheStatus.Bypass, false),
                Source.StaleIfError when now < entry.ErrorUntil => new Freshness(CacheStatus.Stale, false),
                Source.Origin when item.Sequence > loadsBefore => new Freshness(CacheStatus.Miss, false),
                Source.Cache or Source.Origin => request.Judge(entry, now),
                _ => Freshness.Unusable,
            };

            if (!verdict.IsUsable)
            {
                // The L1 copy outlived its usable life (L1 holds it by wall-clock): drop it and load again.
                if (attempt < 2)
                {
                    await _l1.RemoveAsync(request.Key, CancellationToken.None);
                    continue;
                }

                // Loads keep going out of date as they arrive (a clock racing ahead): stand in while stale-if-error
                // allows, never past it.
                if (now >= entry.ErrorUntil)
                {
                    throw new OriginUnavailableException("No cached copy may answer and the origin could not be reached in time.");
                }

                verdict = Freshness.Stale;
            }

            if (verdict.Refresh)
            {
                StartRevalidation(request, entry);
            }

            var answer = verdict.Status!.Value;
            _metrics.Answer(request.PolicyName, answer, now - entry.GeneratedAt);
            return new CacheLookup(entry, answer, Stored: item.Stored);
        }
    }

    // How the in-process L1 keeps a policy's entries (HybridCache without a distributed tier of its own).
    private HybridCacheEntryOptions L1Options(CachePolicy policy) => _l1Options.GetValue(policy, static p => new HybridCacheEntryOptions
    {
        Expiration = p.L1,
        LocalCacheExpiration = p.L1,
        Flags = HybridCacheEntryFlags.DisableDistributedCache | HybridCacheEntryFlags.DisableCompression
            | (p.L1 > TimeSpan.Zero ? HybridCacheEntryFlags.None : HybridCacheEntryFlags.DisableLocalCache),
    });

    // Runs once per key per instance at a time (HybridCache single-flight); the token is HybridCache's
    // shared one, which is not used so that one caller's disconnect cannot fail the others.
    private async ValueTask<L1Item> LoadAsync(CacheRequest request)
    {
        var read = await _store.GetAsync(request.Key);
        if (!read.Available)
        {
            var fetched = await FetchAsync(request, FetchReason.Miss);
            return fetched.Entry is null ? Failed(fetched.Failure) : Loaded(fetched, Source.Bypass, stored: false);
        }

        if (read.Entry is { } cached && request.Judge(cached, _time.GetUtcNow()).IsUsable)
        {
            return Loaded(cached, Source.Cache);
        }

        return await MissAsync(request, read.Entry);
    }

    private async Task<L1Item> MissAsync(CacheRequest request, CacheEntry? expired)
    {
        await using (var redLock = await _locks.TryAcquireAsync(request.Key, request.Policy.LockExpiry))
        {
            if (redLock is not null)
            {
                // Another instance may have stored the entry and released the lock since our read.
                if ((await _store.GetAsync(request.Key)).Entry is { } peer
                    && peer.GeneratedAt > (expired?.GeneratedAt ?? DateTimeOffset.MinValue)
                    && request.Judge(peer, _time.GetUtcNow()).IsUsable)
                {
                    return Loaded(peer, Source.Origin);
                }

                var fetched = await FetchAsync(request, FetchReason.Miss);
                if (fetched.Entry is not { } entry)
                {
                    return StaleIfErrorOrThrow(request, expired, fetched.Failure);
                }

                var stored = false;
                if (fetched.Storable)
                {
                    stored = await _store.SetAsync(request.Key, entry, request.TimeToLive(entry, _time.GetUtcNow())) == true;
                }
                else
                {
                    // Instances waiting on this miss forward their own requests now rather than after MissWait.
                    await _store.AbandonAsync(request.Key, request.Policy.MissWait);
                }

                return Loaded(fetched, Source.Origin, stored);
            }
        }

        // Another instance holds the lock and is fetching: wait for its entry, bounded.
        var waited = await _store.WaitForNewerAsync(request.Key, expired?.GeneratedAt, request.Policy.MissWait, _stopping);
        if (waited.Entry is { } published)
        {
            return Loaded(published, Source.Origin);
        }

        if (waited.Abandoned)
        {
            // The fetch it waited on got an answer the cache may not keep: each waiter gets its own.
            return Loaded(EntryFactory.Nothing, Source.Uncacheable);
        }

        // Waited long enough (like nginx proxy_cache_lock_timeout): fetch ourselves, without storing.
        var own = await FetchAsync(request, FetchReason.Miss);
        return own.Entry is null ? StaleIfErrorOrThrow(request, expired, own.Failure) : Loaded(own, Source.Origin, stored: false);
    }

    private L1Item StaleIfErrorOrThrow(CacheRequest request, CacheEntry? expired, OriginUnavailableException failure) =>
        expired is not null && _time.GetUtcNow() < expired.ErrorUntil ? Loaded(expired, Source.StaleIfError) : Failed(failure);

    private void StartRevalidation(CacheRequest request, CacheEntry stale)
    {
        if (_revalidating.TryAdd(request.Key, 0))
        {
            _ = Task.Run(() => RevalidateAsync(request, stale), CancellationToken.None);
        }
    }

    private async Task RevalidateAsync(CacheRequest request, CacheEntry stale)
    {
        var outcome = "error";
        try
        {
            outcome = await RevalidateUnderLockAsync(request, stale);
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
            Log.RevalidationError(_logger, request.PolicyName, ex);
        }
        finally
        {
            _revalidating.TryRemove(request.Key, out _);
            _metrics.Revalidation(request.PolicyName, outcome);
        }
    }

    private async Task<string> RevalidateUnderLockAsync(CacheRequest request, CacheEntry stale)
    {
        await using var redLock = await _locks.TryAcquireAsync(request.Key, request.Policy.LockExpiry);
        if (redLock is null)
        {
            // Another instance is refreshing: wait for its entry rather than trying again on every read.
            if ((await _store.WaitForNewerAsync(request.Key, stale.GeneratedAt, request.Policy.LockExpiry, _stopping)).Entry is not null)
            {
                await _l1.RemoveAsync(request.Key, CancellationToken.None);
            }

            return "lock-busy";
        }

        // The shared entry may already be newer than the copy this instance saw.
        var current = await _store.GetAsync(request.Key);
        if (current.Entry is { } newer && newer.GeneratedAt > stale.GeneratedAt
            && request.Judge(newer, _time.GetUtcNow()).Status == CacheStatus.Fresh)
        {
            await _l1.RemoveAsync(request.Key, CancellationToken.None);
            return "already-fresh";
        }

        return (await RefreshAsync(request)).Outcome;
    }

    /// <summary>
    /// Fetches the key from its origin and stores the answer with the compare-and-set, without taking the key's lock:
    /// for a caller that already decided it is the one to refresh (a lock winner, a queue consumer).
    /// </summary>
    public async Task<Refreshed> RefreshAsync(CacheRequest request)
    {
        var fetched = await FetchAsync(request, FetchReason.Refresh);
        if (fetched.Entry is not { } entry)
        {
            if (fetched.Failure.Overloaded)
            {
                return new Refreshed(Refreshed.Overloaded, fetched.Failure);
            }

            Log.RevalidationFailed(_logger, request.PolicyName, fetched.Failure);
            return new Refreshed(Refreshed.OriginFailed, fetched.Failure.InnerException ?? fetched.Failure);
        }

        if (!fetched.Storable)
        {
            await _l1.RemoveAsync(request.Key, CancellationToken.None);
            return new Refreshed(Refreshed.NotStored);
        }

        return Refreshed.OfStore(await StoreAsync(request, entry));
    }

    /// <summary>Stores an entry with the compare-and-set (other instances drop their L1 copies) and drops this instance's.</summary>
    /// <returns>True if stored, false if a newer entry was there, null if Redis is unavailable.</returns>
    public async Task<bool?> StoreAsync(CacheRequest request, CacheEntry entry)
    {
        var stored = await _store.SetAsync(request.Key, entry, request.TimeToLive(entry, _time.GetUtcNow()));
        await _l1.RemoveAsync(request.Key, CancellationToken.None);
        return stored;
    }

    /// <summary>Marks an entry out of date (see <see cref="RedisEntryStore.RevokeAsync"/>) and drops this instance's copy.</summary>
    public async Task RevokeAsync(string key)
    {
        await _store.RevokeAsync(key);
        await _l1.RemoveAsync(key, CancellationToken.None);
    }

    /// <summary>Deletes an entry (see <see cref="RedisEntryStore.DeleteAsync"/>) and drops this instance's copy.</summary>
    /// <returns>True if there was an entry, false if not, null if Redis is unavailable.</returns>
    public async Task<bool?> PurgeAsync(string key)
    {
        var deleted = await _store.DeleteAsync(key);
        await _l1.RemoveAsync(key, CancellationToken.None);
        return deleted;
    }

    /// <summary>
    /// Calls the origin with its timeout, within the policy's bulkhead (at most <c>MaxConcurrentFetches</c> at once on
    /// this instance, <c>MaxQueuedFetches</c> waiting; past that the origin is not asked). A failure is returned, not thrown.
    /// </summary>
    private async Task<Fetched> FetchAsync(CacheRequest request, FetchReason reason)
    {
        using var slot = await Bulkhead(request.Policy).AcquireAsync(1, CancellationToken.None);
        if (!slot.IsAcquired)
        {
            _metrics.FetchRejected(request.PolicyName);
            return Fetched.Failed(new OriginUnavailableException("Too many origin fetches are under way.", overloaded: true));
        }

        var startedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        timeout.CancelAfter(request.Policy.OriginTimeout);
        try
        {
            var response = await request.Fetch(reason, timeout.Token);
            var duration = _time.GetElapsedTime(started);
            if (response.IsServerError)
            {
                _metrics.OriginQuery(request.PolicyName, "error", duration);
                return Fetched.Failed(new OriginUnavailableException($"The origin answered {response.StatusCode}.", response));
            }

            _metrics.OriginQuery(request.PolicyName, "ok", duration);
            var (entry, storable) = EntryFactory.Create(request.Policy, response, startedAt, duration);
            return new Fetched(entry, storable, null);
        }
        catch (Exception ex)
        {
            // Anything is the origin's failure: a cancellation is a timeout, ours (OriginTimeout) or the origin client's
            // own (an upstream cluster's HttpRequest:ActivityTimeout), unless the gateway is stopping.
            var outcome = _stopping.IsCancellationRequested ? "cancelled" : ex is OperationCanceledException ? "timeout" : "error";
            _metrics.OriginQuery(request.PolicyName, outcome, _time.GetElapsedTime(started));
            if (outcome != "cancelled")
            {
                Log.OriginFailed(_logger, request.PolicyName, outcome, ex);
            }

            return Fetched.Failed(new OriginUnavailableException($"The origin failed ({outcome}).", inner: ex));
        }
    }

    private ConcurrencyLimiter Bulkhead(CachePolicy policy) => _bulkheads.GetValue(policy, static p => new ConcurrencyLimiter(new ConcurrencyLimiterOptions
    {
        PermitLimit = p.MaxConcurrentFetches,
        QueueLimit = p.MaxQueuedFetches,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    }));

    // Another instance rewrote the entry: drop this instance's copy. Runs on the pub/sub thread; failures are logged.
    private async Task DropLocalCopyAsync(string key)
    {
        try
        {
            await _l1.RemoveAsync(key, CancellationToken.None);
        }
        catch (Exception ex)
        {
            Log.DropFailed(_logger, ex);
        }
    }

    private L1Item Loaded(CacheEntry entry, Source source, bool stored = true) =>
        new(entry, source, Interlocked.Increment(ref _loads), stored);

    private L1Item Loaded(Fetched fetched, Source source, bool stored) =>
        Loaded(fetched.Entry!, fetched.Storable ? source : Source.Uncacheable, stored);

    private L1Item Failed(OriginUnavailableException failure) =>
        new(EntryFactory.Nothing, Source.Failed, Interlocked.Increment(ref _loads), Stored: false, failure);

    /// <summary>
    /// What L1 holds: the entry, where it came from, when it was loaded (a sequence number, so a caller can tell it
    /// waited for this load), whether it is in the shared cache, and for a failed load, the failure. HybridCache keeps
    /// this very instance (it is immutable) but also serializes it once per load; an exception does not serialize.
    /// </summary>
    [ImmutableObject(true)]
    private sealed record L1Item(CacheEntry Entry, Source Source, long Sequence, bool Stored, [property: JsonIgnore] OriginUnavailableException? Failure = null);

    private readonly record struct Fetched(CacheEntry? Entry, bool Storable, OriginUnavailableException? FailureOrNull)
    {
        public OriginUnavailableException Failure => FailureOrNull ?? new OriginUnavailableException("The origin failed.");

        public static Fetched Failed(OriginUnavailableException failure) => new(null, false, failure);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Origin call for policy {Policy} failed ({Outcome}).")]
        public static partial void OriginFailed(ILogger logger, string policy, string outcome, Exception exception);

        [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Background refresh for policy {Policy} failed; the stale entry is kept.")]
        public static partial void RevalidationFailed(ILogger logger, string policy, Exception exception);

        [LoggerMessage(EventId = 202, Level = LogLevel.Error, Message = "Background refresh for policy {Policy} threw.")]
        public static partial void RevalidationError(ILogger logger, string policy, Exception exception);

        [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Could not drop an in-process copy another instance replaced; it expires with L1.")]
        public static partial void DropFailed(ILogger logger, Exception exception);
    }
}
