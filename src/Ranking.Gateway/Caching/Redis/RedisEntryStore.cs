using System.Collections.Concurrent;
using Ranking.Gateway.Hosting;
using StackExchange.Redis;

namespace Ranking.Gateway.Caching.Redis;

/// <summary>What a read from Redis found.</summary>
internal readonly record struct StoreRead(bool Available, CacheEntry? Entry)
{
    public static StoreRead Unavailable => new(false, null);
}

/// <summary>
/// The shared L2: entries in Redis under <c>{prefix}{key}:entry</c> (<see cref="RedisAccess"/>), written with a
/// compare-and-set on generatedAt and the key's purge epoch, announced on the change channel; the admission count; the
/// entries fetched while Redis was away, stored once it is back. Every Redis failure trips the circuit breaker and reads
/// as "unavailable"; nothing here throws for Redis.
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

    private readonly RedisAccess _redis;
    private readonly TimeProvider _time;
    private readonly CacheMetrics _metrics;
    private readonly ILogger<RedisEntryStore> _logger;
    private readonly ConcurrentDictionary<string, (CacheEntry Entry, TimeSpan TimeToLive)> _unsaved = new(StringComparer.Ordinal);
    private readonly Lock _unsavedGate = new();
    private Task? _saving;

    public RedisEntryStore(RedisAccess redis, CacheMetrics metrics, TimeProvider time, ILogger<RedisEntryStore> logger)
    {
        _redis = redis;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task<StoreRead> GetAsync(string key)
    {
        if (!_redis.IsAvailable)
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
            data = await _redis.Database.HashGetAsync(_redis.EntryKey(key), "d");
        }
        catch (Exception ex) when (RedisAccess.IsFailure(ex))
        {
            _redis.Fail(ex);
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

    // Runs a script that writes an entry and announces it: ARGV = generatedAt, envelope, channel, message, then more.
    private Task<bool?> WriteAsync(string script, string key, CacheEntry entry, params RedisValue[] more) =>
        _redis.TryAsync(async db =>
        {
            RedisValue[] args =
            [
                entry.GeneratedAt.ToUnixTimeMilliseconds(),
                EntryCodec.Encode(entry),
                _redis.Changes.ToString(),
                _redis.ChangeMessage(key),
                .. more,
            ];
            return (int)await db.ScriptEvaluateAsync(script, [_redis.EntryKey(key), _redis.PurgedKey(key)], args) == 1;
        });

    /// <summary>
    /// Deletes an entry (a purge); every other instance hears of it and drops its in-process copy, and no store whose
    /// fetch began before it (a refresh already under way, on any instance) can put the old answer back.
    /// </summary>
    /// <returns>True if there was an entry, false if not, null if Redis is unavailable.</returns>
    public Task<bool?> DeleteAsync(string key) =>
        _redis.TryAsync(async db => (int)await db.ScriptEvaluateAsync(
            DeleteScript,
            [_redis.EntryKey(key), _redis.PurgedKey(key)],
            [_redis.Changes.ToString(), _redis.ChangeMessage(key), _time.GetUtcNow().ToUnixTimeMilliseconds(), (long)PurgeEpochKept.TotalMilliseconds]) == 1);

    /// <summary>
    /// Admission (the policy's <c>MinUses</c>): counts this miss of <paramref name="key"/> and says whether it has now been
    /// asked <paramref name="minUses"/> times within <paramref name="window"/> (the count lives in the key's own slot and
    /// expires with the window).
    /// </summary>
    /// <returns>Null if Redis is unavailable.</returns>
    public Task<bool?> AdmitAsync(string key, int minUses, TimeSpan window) =>
        _redis.TryAsync(async db => (long)await db.ScriptEvaluateAsync(CountUseScript, [_redis.SlotKey(key, "uses")], [(long)Math.Max(1, window.TotalMilliseconds)]) >= minUses);

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

    /// <summary>Whether some instance holds the key's refresh lock (<see cref="RedisAccess.LockKey"/>).</summary>
    /// <returns>Null if Redis is unavailable.</returns>
    public Task<bool?> IsLockHeldAsync(string key) => _redis.TryAsync(db => db.KeyExistsAsync(_redis.LockKey(key)));

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.CorruptEntry, Level = LogLevel.Warning, Message = "A cached entry could not be read and is treated as a miss.")]
        public static partial void CorruptEntry(ILogger logger, Exception exception);
    }
}
