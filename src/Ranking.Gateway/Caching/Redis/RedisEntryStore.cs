using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Ranking.Gateway.Hosting;
using StackExchange.Redis;

namespace Ranking.Gateway.Caching.Redis;

/// <summary>What a read from Redis found.</summary>
internal readonly record struct StoreRead(bool Available, CacheEntry? Entry)
{
    public static StoreRead Unavailable => new(false, null);
}

/// <summary>
/// How a wait for another instance's fetch ended: its entry; word that it will not store one (<paramref name="Abandoned"/>:
/// its answer may not be kept, or, with <paramref name="Failed"/>, the origin failed it); or neither.
/// </summary>
internal readonly record struct Waited(CacheEntry? Entry, bool Abandoned, bool Failed = false);

/// <summary>
/// The shared L2: entries in Redis under <c>{prefix}{key}:entry</c> (hash tag, so an entry and its lock share
/// a cluster slot), written with a compare-and-set on generatedAt, announced on a pub/sub channel.
/// Every Redis failure trips the circuit breaker and reads as "unavailable"; nothing here throws for Redis.
/// </summary>
internal sealed partial class RedisEntryStore
{
    // Store only if no entry exists or the stored one was generated earlier, and the key was not purged after this
    // entry's fetch began (KEYS[2]): an old, slow refresh can never overwrite a newer entry, nor undo a purge. Announces
    // the change in the same round trip.
    private const string CompareAndSetScript = """
        local current = redis.call('HGET', KEYS[1], 'g')
        if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
        local purged = redis.call('GET', KEYS[2])
        if purged and tonumber(purged) >= tonumber(ARGV[1]) then return 0 end
        redis.call('HSET', KEYS[1], 'g', ARGV[1], 'd', ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        redis.call('PUBLISH', ARGV[3], ARGV[4])
        return 1
        """;

    // Replaces an entry only while it is still the one that was read (same generatedAt), keeping its expiry.
    private const string ReplaceSameScript = """
        if redis.call('HGET', KEYS[1], 'g') ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], 'd', ARGV[2])
        redis.call('PUBLISH', ARGV[3], ARGV[4])
        return 1
        """;

    // Marks that the last fetch of a key stored nothing (ARGV[4]: its answer may not be kept, or the origin failed), and
    // wakes whoever waits on it.
    private const string AbandonScript = """
        redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[1])
        redis.call('PUBLISH', ARGV[2], ARGV[3])
        return 1
        """;

    private const string Failed = "failed";

    // Deletes an entry, records when (KEYS[2], for ARGV[4] ms, so a fetch that began before cannot store over it), and
    // announces it, so every instance drops its in-process copy.
    private const string DeleteScript = """
        local deleted = redis.call('DEL', KEYS[1])
        redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
        redis.call('PUBLISH', ARGV[1], ARGV[2])
        return deleted
        """;

    /// <summary>How long a purge's epoch is kept: far longer than any fetch that began before it can still be running.</summary>
    private static readonly TimeSpan PurgeEpochKept = TimeSpan.FromMinutes(10);

    // Counts a miss of a key within a window; the count says whether the key has been asked often enough to be stored.
    private const string CountUseScript = """
        local uses = redis.call('INCR', KEYS[1])
        if uses == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return uses
        """;

    /// <summary>Entries fetched during a Redis outage kept to be stored once it is back (<see cref="SaveLater"/>).</summary>
    private const int MaxUnsaved = 10_000;

    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LastPoll = TimeSpan.FromMilliseconds(200);

    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly RedisCircuitBreaker _breaker;
    private readonly CacheMetrics _metrics;
    private readonly ILogger<RedisEntryStore> _logger;
    private readonly string _prefix;
    private readonly RedisChannel _channel;
    private readonly string _instanceId = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new();
    private readonly ConcurrentDictionary<string, (CacheEntry Entry, TimeSpan TimeToLive)> _unsaved = new(StringComparer.Ordinal);
    private readonly Lock _unsavedGate = new();
    private Task? _saving;

    public RedisEntryStore(IConnectionMultiplexer redis, IOptions<GatewayOptions> options, CacheMetrics metrics, TimeProvider time, ILogger<RedisEntryStore> logger)
    {
        _redis = redis;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _prefix = options.Value.KeyPrefix;
        _breaker = new RedisCircuitBreaker(options.Value.RedisBreakDuration);
        _channel = RedisChannel.Literal(_prefix + "changes");
    }

    /// <summary>Raised when another instance rewrote an entry (the key is passed).</summary>
    public event Action<string>? ChangedElsewhere;

    public bool IsAvailable => !_breaker.IsOpen;

    public string EntryKey(string key) => SlotKey(key, "entry");

    public string LockKey(string key) => SlotKey(key, "lock");

    public string UnstorableKey(string key) => SlotKey(key, "unstorable");

    /// <summary>When the key was last purged (Unix ms, the purging instance's clock); no store whose fetch began before may land.</summary>
    public string PurgedKey(string key) => SlotKey(key, "purged");

    /// <summary>A key of <paramref name="key"/>'s own, in the same cluster slot as its entry: <c>{prefix}{key}:suffix</c>.</summary>
    public string SlotKey(string key, string suffix) => $"{_prefix}{{{key}}}:{suffix}";

    public async Task<StoreRead> GetAsync(string key)
    {
        if (_breaker.IsOpen)
        {
            return StoreRead.Unavailable;
        }

        if (!_unsaved.IsEmpty)
        {
            await SaveUnsavedAsync();
        }

        byte[]? data;
        try
        {
            data = await _redis.GetDatabase().HashGetAsync(EntryKey(key), "d");
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Fail(ex);
            return StoreRead.Unavailable;
        }

        if (data is null)
        {
            return new StoreRead(true, null);
        }

        try
        {
            return new StoreRead(true, EntryCodec.Decode(data));
        }
        catch (InvalidDataException ex)
        {
            // A corrupt entry reads as a miss; the next store replaces it.
            _metrics.CorruptEntry();
            Log.CorruptEntry(_logger, ex);
            return new StoreRead(true, null);
        }
    }

    /// <returns>True if stored, false if a newer entry was there, null if Redis is unavailable.</returns>
    public Task<bool?> SetAsync(string key, CacheEntry entry, TimeSpan timeToLive) =>
        WriteAsync(CompareAndSetScript, key, entry, (long)Math.Max(1, timeToLive.TotalMilliseconds));

    /// <summary>
    /// Cuts an entry's fresh window to nothing, keeping its stale and stale-if-error windows: its data is known to be
    /// out of date and could not be recomputed. Readers then see it STALE. An entry replaced meanwhile is left alone.
    /// </summary>
    /// <returns>True if revoked, false if there was nothing (still fresh) to revoke, null if Redis is unavailable.</returns>
    public async Task<bool?> RevokeAsync(string key)
    {
        var read = await GetAsync(key);
        if (!read.Available)
        {
            return null;
        }

        return read.Entry is { } entry && entry.FreshUntil > entry.GeneratedAt
            ? await WriteAsync(ReplaceSameScript, key, entry with { FreshUntil = entry.GeneratedAt })
            : false;
    }

    /// <summary>
    /// Tells instances waiting on this key's miss that no entry is coming: the answer may not be kept (they get their own
    /// at once), or the origin failed (<paramref name="failed"/>: they answer as a failing origin allows, at once, rather
    /// than each asking it again after <c>MissWait</c>). The word lasts <paramref name="keep"/>, so a waiter that starts
    /// listening late still hears it, and only until the next fill of the key begins (<see cref="BeginFill"/>).
    /// </summary>
    public async Task AbandonAsync(string key, TimeSpan keep, bool failed = false)
    {
        if (_breaker.IsOpen)
        {
            return;
        }

        try
        {
            await _redis.GetDatabase().ScriptEvaluateAsync(
                AbandonScript,
                [UnstorableKey(key)],
                [(long)Math.Max(1, keep.TotalMilliseconds), _channel.ToString(), $"{_instanceId}\n{key}", failed ? Failed : "unstorable"]);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Fail(ex);
        }
    }

    /// <summary>
    /// A fill of <paramref name="key"/> begins (its lock is won): the word an earlier fill left (<see cref="AbandonAsync"/>)
    /// is taken back, so it cannot release this fill's waiters. Sent without waiting: the connection keeps the order, so it
    /// lands before anything this fill says.
    /// </summary>
    public void BeginFill(string key)
    {
        if (_breaker.IsOpen)
        {
            return;
        }

        try
        {
            _redis.GetDatabase().KeyDelete(UnstorableKey(key), CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Fail(ex);
        }
    }

    // Runs a script that writes an entry and announces it: ARGV = generatedAt, envelope, channel, message, then more.
    private Task<bool?> WriteAsync(string script, string key, CacheEntry entry, params RedisValue[] more) =>
        TryAsync(async db =>
        {
            RedisValue[] args =
            [
                entry.GeneratedAt.ToUnixTimeMilliseconds(),
                EntryCodec.Encode(entry),
                _channel.ToString(),
                $"{_instanceId}\n{key}",
                .. more,
            ];
            return (int)await db.ScriptEvaluateAsync(script, [EntryKey(key), PurgedKey(key)], args) == 1;
        });

    /// <summary>
    /// Deletes an entry (a purge); every other instance hears of it and drops its in-process copy, and no store whose
    /// fetch began before it (a refresh already under way, on any instance) can put the old answer back.
    /// </summary>
    /// <returns>True if there was an entry, false if not, null if Redis is unavailable.</returns>
    public Task<bool?> DeleteAsync(string key) =>
        TryAsync(async db => (int)await db.ScriptEvaluateAsync(
            DeleteScript,
            [EntryKey(key), PurgedKey(key)],
            [_channel.ToString(), $"{_instanceId}\n{key}", _time.GetUtcNow().ToUnixTimeMilliseconds(), (long)PurgeEpochKept.TotalMilliseconds]) == 1);

    /// <summary>
    /// Admission (the policy's <c>MinUses</c>): counts this miss of <paramref name="key"/> and says whether it has now been
    /// asked <paramref name="minUses"/> times within <paramref name="window"/> (the count lives in the key's own slot and
    /// expires with the window).
    /// </summary>
    /// <returns>Null if Redis is unavailable.</returns>
    public Task<bool?> AdmitAsync(string key, int minUses, TimeSpan window) =>
        TryAsync(async db => (long)await db.ScriptEvaluateAsync(CountUseScript, [SlotKey(key, "uses")], [(long)Math.Max(1, window.TotalMilliseconds)]) >= minUses);

    /// <summary>
    /// Keeps an entry fetched while Redis was away (BYPASS), to be stored with the compare-and-set before the next read
    /// from Redis: Redis still holds what it held before the outage, and an instance that served the newer answer must not
    /// go back to the older one. The newest per key is kept, for at most <see cref="MaxUnsaved"/> keys (the rest are
    /// fetched again when next read, as any miss).
    /// </summary>
    public void SaveLater(string key, CacheEntry entry, TimeSpan timeToLive)
    {
        if (_unsaved.Count < MaxUnsaved || _unsaved.ContainsKey(key))
        {
            _unsaved.AddOrUpdate(key, (entry, timeToLive), (_, kept) => kept.Entry.GeneratedAt >= entry.GeneratedAt ? kept : (entry, timeToLive));
        }
    }

    // One save at a time; every read that finds entries waiting waits for it, so none reads Redis's older copy first.
    private Task SaveUnsavedAsync()
    {
        lock (_unsavedGate)
        {
            return _saving is { IsCompleted: false } running ? running : _saving = SaveAsync();
        }

        async Task SaveAsync()
        {
            var saves = _unsaved.Keys.Select(async key =>
            {
                if (_unsaved.TryRemove(key, out var unsaved) && await SetAsync(key, unsaved.Entry, unsaved.TimeToLive) is null)
                {
                    // Redis went away again: kept for next time.
                    SaveLater(key, unsaved.Entry, unsaved.TimeToLive);
                }
            });
            await Task.WhenAll(saves);
        }
    }

    /// <summary>Whether some instance holds the key's refresh lock (<see cref="LockKey"/>).</summary>
    /// <returns>Null if Redis is unavailable.</returns>
    public Task<bool?> IsLockHeldAsync(string key) => TryAsync(db => db.KeyExistsAsync(LockKey(key)));

    // One yes-or-no question to Redis, asked only while the breaker is closed; null when Redis is unavailable.
    private async Task<bool?> TryAsync(Func<IDatabase, Task<bool>> ask)
    {
        if (_breaker.IsOpen)
        {
            return null;
        }

        try
        {
            return await ask(_redis.GetDatabase());
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Fail(ex);
            return null;
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
                var read = await GetAsync(key);
                if (!read.Available)
                {
                    return default;
                }

                if (read.Entry is { } entry && (after is null || entry.GeneratedAt > after))
                {
                    return new Waited(entry, false);
                }

                if (await AbandonedAsync(key) is { } word)
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

    /// <summary>Waits under way on this instance (for tests: the map is bounded by them).</summary>
    internal int Waiters => _waiters.Count;

    /// <summary>Subscribes to the change channel; called once at start-up and retried until Redis answers.</summary>
    public async Task SubscribeAsync()
    {
        await _redis.GetSubscriber().SubscribeAsync(_channel, (_, message) => OnChanged(message));
    }

    // The word the key's last fill left, if it stored nothing: "unstorable" or "failed"; null when there is none.
    private async Task<string?> AbandonedAsync(string key)
    {
        try
        {
            return await _redis.GetDatabase().StringGetAsync(UnstorableKey(key));
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Fail(ex);
            return null;
        }
    }

    private void OnChanged(RedisValue message)
    {
        var text = (string?)message;
        var separator = text?.IndexOf('\n') ?? -1;
        if (text is null || separator < 0)
        {
            return;
        }

        var key = text[(separator + 1)..];
        if (_waiters.TryRemove(key, out var signal))
        {
            signal.TrySetResult();
        }

        if (!text.AsSpan(0, separator).SequenceEqual(_instanceId))
        {
            ChangedElsewhere?.Invoke(key);
        }
    }

    private void Fail(Exception ex)
    {
        _metrics.RedisFailure();
        if (_breaker.Trip())
        {
            Log.RedisUnavailable(_logger, ex);
        }
    }

    private static bool IsRedisFailure(Exception ex) => ex is RedisException or TimeoutException or ObjectDisposedException;

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.RedisUnavailable, Level = LogLevel.Warning, Message = "Redis is unavailable; bypassing it for a while.")]
        public static partial void RedisUnavailable(ILogger logger, Exception exception);

        [LoggerMessage(EventId = EventIds.CorruptEntry, Level = LogLevel.Warning, Message = "A cached entry could not be read and is treated as a miss.")]
        public static partial void CorruptEntry(ILogger logger, Exception exception);
    }
}
