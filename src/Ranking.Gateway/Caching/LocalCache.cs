using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Caching.Hybrid;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Hosting;

namespace Ranking.Gateway.Caching;

/// <summary>
/// The in-process L1: each key's last load, kept in HybridCache (local layer only; its memory cache is bounded by
/// <c>Gateway:L1SizeLimit</c>, each copy counted at <see cref="L1CopySerializer"/>'s weight, and <see cref="L1Copy"/>
/// is immutable, so a hit hands out the instance itself and costs a dictionary lookup), and a single flight per key:
/// readers that arrive while a key loads wait for that load. The single flight is this class's own, not HybridCache's,
/// because whether a load may be kept is known only from its result.
/// </summary>
/// <remarks>
/// An entry answers from here while it is fresh, at most <c>L1Max</c> (<see cref="LifetimeOf"/>): any change to it
/// anywhere is announced, and every other instance drops its copy when it hears the announcement (Redis pub/sub).
/// Announcements are lost only while this instance's subscription is down; when it comes back, the whole L1 is dropped
/// (<see cref="EntryChanges.Lost"/>). While it is down the copies stay: with Redis away nothing can change an entry, and
/// copies read from a reachable node in the meantime go at the return too.
/// Past <c>L1Max</c> a read still answers from the copy and starts a check in the background (<see cref="Find"/>,
/// <see cref="Check"/>), so a hit never waits for Redis: by the digest of the stored bytes when the copy knows it,
/// else by loading the key. When Redis still holds the very entry, the copy goes on answering, trusted anew in place,
/// with everything made of it (its headers, compressed copies and slices): an unchanged hot entry costs one small
/// Redis call per <c>L1Max</c> and no new long-lived object. At 100,000 hot keys, replacing each ~6 KB body every
/// <c>L1Max</c> kept the collector blocking for seconds (loadtests/RESULTS.md). So a fresh copy is held for its whole
/// fresh window (<see cref="L1Lifetime.Held"/>) to be compared at its checks.
/// A load that read an entry before another instance changed it, and keeps its copy after the announcement's drop found
/// nothing to drop, would serve the old entry as FRESH for its whole L1 lifetime: a load during which its key was
/// announced changed elsewhere, or every copy was dropped, drops what it kept (<see cref="Flight.Changed"/>). This
/// instance's own changes do not mark its loads: a load may store its own key.
/// </remarks>
internal sealed partial class LocalCache
{
    // A lookup only: never load (that is LoadAsync's single flight), never write, no distributed layer.
    private static readonly HybridCacheEntryOptions Lookup = new()
    {
        Flags = HybridCacheEntryFlags.DisableUnderlyingData | HybridCacheEntryFlags.DisableDistributedCache | HybridCacheEntryFlags.DisableLocalCacheWrite,
    };

    private readonly HybridCache _hybrid;
    private readonly TimeProvider _time;
    private readonly CacheMetrics _metrics;
    private readonly RedisEntryStore _store;
    private readonly ILogger<LocalCache> _logger;
    private readonly ConcurrentDictionary<string, Flight> _loading = new(StringComparer.Ordinal);

    public LocalCache(HybridCache hybrid, EntryChanges changes, TimeProvider time, CacheMetrics metrics, RedisEntryStore store, ILogger<LocalCache> logger)
    {
        _store = store;
        _hybrid = hybrid;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        changes.ChangedElsewhere += DropChangedElsewhere;
        changes.Lost += DropAll;
    }

    /// <summary>
    /// How long a load answers from here (<see cref="L1Lifetime.Trusted"/>): a FRESH entry (from Redis or the origin)
    /// until its fresh window ends, at most the policy's <c>L1Max</c> (up to a quarter less, at random, when it is the
    /// bound; or <c>L1</c> if that is longer); anything else, and a fresh entry about to turn, for <c>L1</c>. <c>L1</c>
    /// 0 keeps nothing. A fresh entry trusted for less than its fresh window is held for the whole window, to be
    /// compared with its next read (within the L1's size limit, which drops the least recently used first).
    /// </summary>
    public L1Lifetime LifetimeOf(L1Item item, CachePolicy policy)
    {
        if (policy.L1 <= TimeSpan.Zero || item.Source is not (LoadSource.Cache or LoadSource.Origin))
        {
            return new L1Lifetime(policy.L1, policy.L1);
        }

        var fresh = item.Entry.FreshUntil - _time.GetUtcNow();
        var longest = Math.Max(policy.L1.Ticks, policy.L1Max.Ticks);
        if (fresh.Ticks > longest && longest > policy.L1.Ticks)
        {
            // Up to a quarter sooner: keys loaded together (a start, a deploy) are not all checked together.
            longest -= (long)(Random.Shared.NextDouble() * ((longest - policy.L1.Ticks) / 4));
        }

        var trusted = TimeSpan.FromTicks(Math.Clamp(fresh.Ticks, policy.L1.Ticks, longest));
        return new L1Lifetime(trusted, fresh > trusted ? fresh : trusted);
    }

    /// <summary>
    /// The copy held, if it may answer at <paramref name="now"/>: a trusted one, or a FRESH one past its trust, which
    /// answers while <see cref="Check"/> compares it with Redis (<see cref="L1Hit.Due"/>). A copy in the local layer
    /// answers synchronously; anything else counts as none.
    /// </summary>
    public L1Hit? Find(string key, DateTimeOffset now)
    {
        if (Held(key) is not { } copy)
        {
            return null;
        }

        if (copy.IsTrustedAt(now))
        {
            return new L1Hit(copy.Item, Due: false);
        }

        return copy.Item.Source is LoadSource.Cache or LoadSource.Origin && now < copy.Item.Entry.FreshUntil ? new L1Hit(copy.Item, Due: true) : null;
    }

    /// <summary>
    /// Loads a key in the background (<see cref="LoadAsync"/> without a wait), unless a load of it is under way: a copy
    /// past its trust is compared with what Redis holds, and replaced if it changed, while it goes on answering.
    /// </summary>
    public void Check<TState>(string key, TState state, Func<TState, Task<L1Item>> load, CachePolicy policy)
    {
        if (_loading.ContainsKey(key) || Held(key) is not { } held)
        {
            return;
        }

        // A copy whose stored bytes' digest is known is first compared by digest (~40 bytes from Redis, nothing
        // decoded): the same digest is the same entry. Otherwise, or when it differs, the key is loaded.
        var check = (Store: _store, Key: key, Held: held, State: state, Load: load);
        var loading = LoadAsync(key, check, static async c =>
            c.Held.Digest is { } digest && await c.Store.DigestAsync(c.Key) == digest ? c.Held.Item : await c.Load(c.State), policy, CancellationToken.None);

        // Its failures have no reader: observed here, the next read past the trust checks again.
        _ = loading.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
    }

    /// <summary>
    /// The key's load under way on this instance, or a new one, started now (synchronously, in the caller's flow, so
    /// <paramref name="load"/> may read the caller's request before its first await). A keepable result is kept as
    /// <paramref name="policy"/> says (<see cref="LifetimeOf"/>); one that is the very entry held here already answers
    /// as the copy held. The caller's token ends only its own wait.
    /// </summary>
    public Task<L1Item> LoadAsync<TState>(string key, TState state, Func<TState, Task<L1Item>> load, CachePolicy policy, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_loading.TryGetValue(key, out var running))
            {
                return running.Loaded.Task.WaitAsync(cancellationToken);
            }

            var flight = new Flight();
            if (_loading.TryAdd(key, flight))
            {
                _ = CompleteAsync(key, state, load, policy, flight);
                return flight.Loaded.Task.WaitAsync(cancellationToken);
            }
        }
    }

    public void Remove(string key) => Observe(_hybrid.RemoveAsync(key));

    // The copy held, trusted or not.
    private L1Copy? Held(string key)
    {
        var lookup = _hybrid.GetOrCreateAsync<L1Copy?>(key, static _ => ValueTask.FromResult<L1Copy?>(null), Lookup);
        return lookup.IsCompletedSuccessfully ? lookup.Result : null;
    }

    // The load starts here, in the caller's flow until its first await; whatever it throws, even before that, ends the
    // load for every waiter and frees the key. The key is freed before the waiters resume, so a waiter that drops this
    // load's copy (out of date by the time it looks) loads again rather than finding this load still "under way".
    private async Task CompleteAsync<TState>(string key, TState state, Func<TState, Task<L1Item>> load, CachePolicy policy, Flight flight)
    {
        L1Item? item = null;
        Exception? error = null;
        bool? compared = null;
        try
        {
            item = await load(state);
            var lifetime = LifetimeOf(item, policy);
            if (item.Keepable && lifetime.Trusted > TimeSpan.Zero)
            {
                var trustedUntil = _time.GetUtcNow() + lifetime.Trusted;
                var held = Held(key);
                var unchanged = held is not null && held.Item.Stored == item.Stored && held.Item.Entry.SameAs(item.Entry);
                if (unchanged)
                {
                    // The very entry: the copy held goes on answering, trusted anew, and nothing new is kept. Its waiters
                    // learn where this load came from.
                    held!.TrustUntil(trustedUntil);
                    held.Digest = item.Digest ?? held.Digest;
                    item = held.Item.Source == item.Source ? held.Item : item with { Entry = held.Item.Entry };
                }
                else
                {
                    // Kept before the load is no longer "under way", so a reader finds one or the other.
                    var options = new HybridCacheEntryOptions { Expiration = lifetime.Held, LocalCacheExpiration = lifetime.Held, Flags = HybridCacheEntryFlags.DisableDistributedCache };
                    await _hybrid.SetAsync<L1Copy?>(key, new L1Copy(item, trustedUntil), options);
                }

                compared = held is null ? null : unchanged;
                // Checked after keeping it: an announcement marks, then drops, so one of the two removes the copy.
                if (flight.Changed)
                {
                    await _hybrid.RemoveAsync(key);
                }
            }
        }
        catch (Exception ex)
        {
            error = ex;
        }

        _loading.TryRemove(new KeyValuePair<string, Flight>(key, flight));
        if (compared is { } unchangedCopy)
        {
            // Counted once the load is over: a read that follows the count may start the next check.
            _metrics.L1Check(unchangedCopy);
        }

        if (error is null)
        {
            flight.Loaded.SetResult(item!);
        }
        else
        {
            flight.Loaded.SetException(error);
        }
    }

    // Runs on the pub/sub thread; a failure is logged and the copy expires with L1.
    private void DropChangedElsewhere(string key)
    {
        if (_loading.TryGetValue(key, out var flight))
        {
            flight.Changed = true;
        }

        Drop(() => _hybrid.RemoveAsync(key));
    }

    // Announcements may have been missed: every copy goes (HybridCache's "*" tag: each is refused from now on, and leaves).
    private void DropAll()
    {
        foreach (var flight in _loading.Values)
        {
            flight.Changed = true;
        }

        Drop(() => _hybrid.RemoveByTagAsync("*"));
    }

    private void Drop(Func<ValueTask> remove)
    {
        try
        {
            var removal = remove();
            if (!removal.IsCompletedSuccessfully)
            {
                _ = LogFailureAsync(removal.AsTask(), _logger);
            }
        }
        catch (Exception ex)
        {
            Log.DropFailed(_logger, ex);
        }

        static async Task LogFailureAsync(Task removal, ILogger logger)
        {
            try
            {
                await removal;
            }
            catch (Exception ex)
            {
                Log.DropFailed(logger, ex);
            }
        }
    }

    // Removing from the local layer finishes at once; a failure surfaces to the caller (the admin API's purge).
    private static void Observe(ValueTask removal)
    {
        if (!removal.IsCompletedSuccessfully)
        {
            removal.AsTask().GetAwaiter().GetResult();
        }
    }

    // One load of a key under way on this instance.
    private sealed class Flight
    {
        private volatile bool _changed;

        public TaskCompletionSource<L1Item> Loaded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The key was announced changed elsewhere (or every copy dropped) while this load ran: what it read may be older.</summary>
        public bool Changed { get => _changed; set => _changed = value; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.L1DropFailed, Level = LogLevel.Warning, Message = "Could not drop an in-process copy another instance replaced; it expires with L1.")]
        public static partial void DropFailed(ILogger logger, Exception exception);
    }
}

/// <summary>A copy the L1 holds: its item, and whether it is due a check against Redis (past its trust, still fresh).</summary>
internal readonly record struct L1Hit(L1Item Item, bool Due);

/// <summary>How long the L1 lets a load answer without a look at Redis, and how long it holds the copy.</summary>
internal readonly record struct L1Lifetime(TimeSpan Trusted, TimeSpan Held);
