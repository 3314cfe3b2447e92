using Ranking.Gateway.Caching.Redis;

namespace Ranking.Gateway.Caching;

/// <summary>
/// Loads a key the L1 does not hold, once per key across every instance: Redis first; on a miss, the instance that wins
/// the key's lock fetches and stores, the others wait for its entry (up to <c>MissWait</c>, then fetch without storing,
/// like nginx <c>proxy_cache_lock_timeout</c>). Without Redis, straight from the origin (BYPASS). When the origin fails,
/// an expired copy stands in while its stale-if-error window lasts.
/// </summary>
internal sealed class MissCoordinator(RedisEntryStore store, FillSignals fills, RefreshLocks locks, OriginCaller caller, TimeProvider time, IHostApplicationLifetime lifetime)
{
    private readonly CancellationToken _stopping = lifetime.ApplicationStopping;

    /// <param name="call">The miss's origin call, captured while the reader's request was alive.</param>
    public async Task<L1Item> LoadAsync(CacheRequest request, OriginRequest call)
    {
        var read = await store.GetAsync(request.Key);
        if (!read.Available)
        {
            var fetched = await FetchAsync(request, call);
            if (fetched is { Entry: { } entry, Storable: true })
            {
                // Stored once Redis is back, before anything is read from it: no instance goes back to its older copy.
                store.SaveLater(request.Key, entry, request.TimeToLive(entry, time.GetUtcNow()));
            }

            return fetched.Failure is { } failure ? L1Item.Failing(failure) : Loaded(fetched, LoadSource.Bypass, stored: false);
        }

        if (read.Entry is { } cached && request.Judge(cached, time.GetUtcNow()).IsUsable)
        {
            return new L1Item(cached, LoadSource.Cache) { Digest = read.Digest };
        }

        return await MissAsync(request, call, read.Entry);
    }

    private async Task<L1Item> MissAsync(CacheRequest request, OriginRequest call, CacheEntry? expired)
    {
        // An expired copy is revalidated rather than fetched whole, where its origin can (a 304 keeps its body).
        call = call with { Previous = expired };
        if (request.Policy.MinUses > 1 && await store.AdmitAsync(request.Key, request.Policy.MinUses, request.Policy.MinUsesWindow) == false)
        {
            // Not asked often enough yet to be stored (like nginx proxy_cache_min_uses): this load's readers get the
            // origin's answer, and nothing is kept, here or in Redis.
            var fetched = await FetchAsync(request, call);
            return fetched.Failure is { } failure ? StaleIfErrorOrFail(request, expired, failure)
                : new L1Item(fetched.Entry!, fetched.Storable ? LoadSource.Unadmitted : LoadSource.Uncacheable, Stored: false);
        }
        await using (var redLock = await locks.TryAcquireAsync(request.Key, request.Policy.LockExpiry))
        {
            if (redLock is not null)
            {
                // Another instance may have stored the entry and released the lock since our read.
                if ((await store.GetAsync(request.Key)).Entry is { } peer
                    && peer.GeneratedAt > (expired?.GeneratedAt ?? DateTimeOffset.MinValue)
                    && request.Judge(peer, time.GetUtcNow()).IsUsable)
                {
                    return new L1Item(peer, LoadSource.Origin);
                }

                fills.BeginFill(request.Key);
                var fetched = await FetchAsync(request, call);
                if (fetched.Entry is not { } entry)
                {
                    // Instances waiting on this miss answer as a failing origin allows now, rather than each asking it
                    // again after MissWait. A fetch the bulkhead turned away says nothing: the origin did not fail.
                    if (!fetched.Failure!.Overloaded)
                    {
                        await fills.AbandonAsync(request.Key, request.Policy.MissWait, failed: true);
                    }

                    return StaleIfErrorOrFail(request, expired, fetched.Failure);
                }

                var stored = false;
                if (fetched.Storable)
                {
                    stored = await store.SetAsync(request.Key, entry, request.TimeToLive(entry, time.GetUtcNow())) == true;
                }
                else
                {
                    // Instances waiting on this miss forward their own requests now rather than after MissWait.
                    await fills.AbandonAsync(request.Key, request.Policy.MissWait);
                }

                return Loaded(fetched, LoadSource.Origin, stored);
            }
        }

        // Another instance holds the lock and is fetching: wait for its entry, bounded.
        var waited = await fills.WaitForNewerAsync(request.Key, expired?.GeneratedAt, request.Policy.MissWait, _stopping);
        if (waited.Entry is { } published)
        {
            return new L1Item(published, LoadSource.Origin);
        }

        if (waited.Failed)
        {
            return StaleIfErrorOrFail(request, expired, new OriginFailure(OriginFailureKind.Error, "The origin failed the fetch this read waited on."));
        }

        // The fetch it waited on got an answer the cache may not keep: each waiter gets its own, by its own request where
        // the origin can pass that on (a proxied route), else by a fetch of its own. Or: waited long enough (like nginx
        // proxy_cache_lock_timeout): fetch ourselves, without storing.
        if (waited.Abandoned && request.Origin.PassesThrough)
        {
            return new L1Item(EntryFactory.Nothing, LoadSource.Uncacheable, Stored: false);
        }

        var own = await FetchAsync(request, call);
        return own.Failure is { } failed ? StaleIfErrorOrFail(request, expired, failed) : Loaded(own, LoadSource.Origin, stored: false);
    }

    private Task<Fetched> FetchAsync(CacheRequest request, OriginRequest call) => caller.FetchAsync(request.Origin, request.PolicyName, call);

    // The availability rule (IFreshnessPolicy.StandsInUntil): counted from when the entry was last known good.
    private L1Item StaleIfErrorOrFail(CacheRequest request, CacheEntry? expired, OriginFailure failure)
    {
        var now = time.GetUtcNow();
        return expired is not null && now < request.FreshnessPolicy.StandsInUntil(expired, now) ? new L1Item(expired, LoadSource.StaleIfError) : L1Item.Failing(failure);
    }

    private static L1Item Loaded(Fetched fetched, LoadSource source, bool stored) =>
        new(fetched.Entry!, fetched.Storable ? source : LoadSource.Uncacheable, stored);
}
