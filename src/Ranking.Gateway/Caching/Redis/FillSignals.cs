using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Ranking.Gateway.Caching.Redis;

/// <summary>
/// How a fill on one instance tells the instances waiting on it what became of it — this is where a miss waits. The
/// fill's entry, stored and announced on the change channel; or word, left beside the entry, that it stored nothing
/// (its answer may not be kept, or the origin failed), which a new fill of the key takes back. A waiter registers before
/// it reads, wakes on the channel, and polls with backoff in case a message is lost.
/// </summary>
internal sealed class FillSignals
{
    // Marks that the last fetch of a key stored nothing (ARGV[4]: its answer may not be kept, or the origin failed), and
    // wakes whoever waits on it.
    private const string AbandonScript = """
        redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[1])
        redis.call('PUBLISH', ARGV[2], ARGV[3])
        return 1
        """;

    private const string Failed = "failed";

    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LastPoll = TimeSpan.FromMilliseconds(200);

    private readonly RedisAccess _redis;
    private readonly RedisEntryStore _store;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new();

    public FillSignals(RedisAccess redis, RedisEntryStore store, EntryChanges changes)
    {
        _redis = redis;
        _store = store;
        changes.Changed += Wake;
    }

    /// <summary>Waits under way on this instance (for tests: the map is bounded by them).</summary>
    internal int Waiters => _waiters.Count;

    /// <summary>
    /// Tells instances waiting on this key's miss that no entry is coming: the answer may not be kept (they get their own
    /// at once), or the origin failed (<paramref name="failed"/>: they answer as a failing origin allows, at once, rather
    /// than each asking it again after <c>MissWait</c>). The word lasts <paramref name="keep"/>, so a waiter that starts
    /// listening late still hears it, and only until the next fill of the key begins (<see cref="BeginFill"/>).
    /// </summary>
    public async Task AbandonAsync(string key, TimeSpan keep, bool failed = false)
    {
        await _redis.TryAsync(async db => (long)await db.ScriptEvaluateAsync(
            AbandonScript,
            [_redis.UnstorableKey(key)],
            [(long)Math.Max(1, keep.TotalMilliseconds), _redis.Changes.ToString(), _redis.ChangeMessage(key), failed ? Failed : "unstorable"]));
    }

    /// <summary>
    /// A fill of <paramref name="key"/> begins (its lock is won): the word an earlier fill left (<see cref="AbandonAsync"/>)
    /// is taken back, so it cannot release this fill's waiters. Sent without waiting: the connection keeps the order, so it
    /// lands before anything this fill says.
    /// </summary>
    public void BeginFill(string key)
    {
        if (!_redis.IsAvailable)
        {
            return;
        }

        try
        {
            _redis.Database.KeyDelete(_redis.UnstorableKey(key), CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (RedisAccess.IsFailure(ex))
        {
            _redis.Fail(ex);
        }
    }

    /// <summary>
    /// Waits until Redis holds an entry generated after <paramref name="after"/> (any entry when null), or until the
    /// fetch it waits on gave up storing one, woken by the change channel and polling with backoff in case a message is
    /// lost. Neither, on timeout or when Redis is unavailable.
    /// </summary>
    public async Task<Waited> WaitForNewerAsync(string key, DateTimeOffset? after, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var poll = FirstPoll;
        while (true)
        {
            // Register before reading, so a change published between the read and the wait is not missed.
            var signal = _waiters.GetOrAdd(key, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            try
            {
                var read = await _store.GetAsync(key);
                if (!read.Available)
                {
                    return default;
                }

                if (read.Entry is { } entry && (after is null || entry.GeneratedAt > after))
                {
                    return new Waited(entry, false);
                }

                if (await WordAsync(key) is { } word)
                {
                    return new Waited(null, true, word == Failed);
                }

                var remaining = deadline - Environment.TickCount64;
                if (remaining <= 0)
                {
                    return default;
                }

                var delay = TimeSpan.FromMilliseconds(Math.Min(remaining, poll.TotalMilliseconds));
                await Task.WhenAny(signal.Task, Task.Delay(delay, cancellationToken));
                cancellationToken.ThrowIfCancellationRequested();
            }
            finally
            {
                // Whichever way this round ended, its signal leaves the map (unless a newer one replaced it): the map holds
                // only waits under way. A waiter of the same key that was woken by nothing reads again within its poll.
                _waiters.TryRemove(new KeyValuePair<string, TaskCompletionSource>(key, signal));
            }

            poll = TimeSpan.FromTicks(Math.Min(poll.Ticks * 2, LastPoll.Ticks));
        }
    }

    // The word the key's last fill left, if it stored nothing: "unstorable" or "failed"; null when there is none.
    private async Task<string?> WordAsync(string key)
    {
        try
        {
            return await _redis.Database.StringGetAsync(_redis.UnstorableKey(key));
        }
        catch (Exception ex) when (RedisAccess.IsFailure(ex))
        {
            _redis.Fail(ex);
            return null;
        }
    }

    private void Wake(string key)
    {
        if (_waiters.TryRemove(key, out var signal))
        {
            signal.TrySetResult();
        }
    }
}

/// <summary>
/// How a wait for another instance's fetch ended: its entry; word that it will not store one (<paramref name="Abandoned"/>:
/// its answer may not be kept, or, with <paramref name="Failed"/>, the origin failed it); or neither.
/// </summary>
internal readonly record struct Waited(CacheEntry? Entry, bool Abandoned, bool Failed = false);
