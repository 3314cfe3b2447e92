using System.Diagnostics;
using Ranking.Gateway.Caching.FreshnessPolicies;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Hosting;

namespace Ranking.Gateway.Caching;

/// <summary>
/// The stale-while-revalidate read path. Each read takes the key's entry from the in-process L1, or loads it
/// (<see cref="MissCoordinator"/>: Redis, else the origin once across all instances), and answers as the behaviour
/// table says (<see cref="FreshnessClassifier"/>): FRESH and STALE from the cache (STALE starting one background
/// refresh, <see cref="Revalidator"/>), MISS after the origin, BYPASS without Redis.
/// </summary>
/// <remarks>
/// Entry lifetimes are read from <see cref="TimeProvider"/>; operational waits (origin timeout, miss wait,
/// retry delay) and the L1's own lifetime are wall-clock, since they bound real I/O and memory.
/// </remarks>
internal sealed class SwrCache(LocalCache l1, MissCoordinator misses, Revalidator revalidator, RedisEntryStore store, CacheMetrics metrics, TimeProvider time)
{
    /// <summary>Background refreshes this instance has started and not finished.</summary>
    public int ActiveRevalidations => revalidator.ActiveRevalidations;

    /// <summary>
    /// The read path. Completes without allocating when the L1 holds a FRESH entry and no one listens for spans; with a
    /// listener, in a <see cref="GatewayTracing.Lookup"/> span that says how it was answered.
    /// </summary>
    public ValueTask<CacheLookup> GetAsync(CacheRequest request, CancellationToken cancellationToken) =>
        GatewayTracing.Source.HasListeners() ? TracedGetAsync(request, cancellationToken) : LookupAsync(request, cancellationToken);

    private async ValueTask<CacheLookup> TracedGetAsync(CacheRequest request, CancellationToken cancellationToken)
    {
        using var activity = GatewayTracing.Source.StartActivity(GatewayTracing.Lookup);
        activity?.SetTag(GatewayTracing.Policy, request.PolicyName);
        var lookup = await LookupAsync(request, cancellationToken);
        if (activity is not null)
        {
            activity.SetTag(GatewayTracing.CacheStatus, lookup.Failure is null ? CacheStatusNames.Of(lookup.Status) : "ERROR");
            if (lookup.Failure is { } failure)
            {
                activity.SetStatus(ActivityStatusCode.Error, failure.Message);
            }
        }

        return lookup;
    }

    private async ValueTask<CacheLookup> LookupAsync(CacheRequest request, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var now = time.GetUtcNow();
            var held = l1.Find(request.Key, now);
            var waited = held is null;
            L1Item item;
            if (held is { } hit)
            {
                item = hit.Item;
                if (hit.Due)
                {
                    l1.Check(request.Key, request, Load, request.Policy);
                }
            }
            else
            {
                item = await l1.LoadAsync(request.Key, request, Load, request.Policy, cancellationToken);
                now = time.GetUtcNow();
            }

            if (item.Failure is { } failure)
            {
                return CacheLookup.Failed(failure);
            }

            if (item.Source == LoadSource.Uncacheable)
            {
                // The origin forbade storing this answer (Set-Cookie, private, no-store, too large).
                metrics.Answer(request.PolicyName, CacheStatus.Miss, TimeSpan.Zero);
                return new CacheLookup(item.Entry, CacheStatus.Miss, Shareable: false, Stored: false);
            }

            var entry = item.Entry;
            var verdict = FreshnessClassifier.Classify(item.Source, entry, waited, request.FreshnessPolicy, now);
            if (!verdict.IsUsable)
            {
                // The L1 copy outlived its usable life (L1 holds it by wall-clock): drop it and load again.
                if (attempt < 2)
                {
                    l1.Remove(request.Key);
                    continue;
                }

                // Loads keep going out of date as they arrive (a clock racing ahead): stand in while stale-if-error
                // allows, never past it.
                if (now >= request.FreshnessPolicy.StandsInUntil(entry, now))
                {
                    return CacheLookup.Failed(new OriginFailure(OriginFailureKind.Error, "No cached copy may answer and the origin could not be reached in time."));
                }

                verdict = Freshness.Stale;
            }

            if (verdict.Refresh)
            {
                revalidator.Start(request, entry);
            }

            var answer = verdict.Status!.Value;
            metrics.Answer(request.PolicyName, answer, entry.AgeAt(now));
            return new CacheLookup(entry, answer, Stored: item.Stored);
        }
    }

    /// <inheritdoc cref="Revalidator.RefreshAsync(CacheRequest)"/>
    public Task<Refreshed> RefreshAsync(CacheRequest request) => revalidator.RefreshAsync(request);

    /// <inheritdoc cref="Revalidator.StoreAsync"/>
    public Task<bool?> StoreAsync(CacheRequest request, CacheEntry entry) => revalidator.StoreAsync(request, entry);

    /// <summary>Marks an entry out of date (see <see cref="RedisEntryStore.RevokeAsync"/>) and drops this instance's copy.</summary>
    public async Task RevokeAsync(string key)
    {
        await store.RevokeAsync(key);
        l1.Remove(key);
    }

    /// <summary>Purges an entry (see <see cref="RedisEntryStore.PurgeAsync"/>) and drops this instance's copy.</summary>
    /// <returns>True if there was an entry, false if not, null if Redis is unavailable.</returns>
    public async Task<bool?> PurgeAsync(string key, PurgeKind kind = PurgeKind.Hard)
    {
        var purged = await store.PurgeAsync(key, kind);
        l1.Remove(key);
        return purged;
    }

    // The one load of a key on this instance; runs in the first reader's flow until its first await, so the origin call
    // is captured from that reader's request.
    private Task<L1Item> Load(CacheRequest request) => misses.LoadAsync(request, request.Capture(FetchReason.Miss));
}
