using System.Collections.Concurrent;
using System.Security.Cryptography;
using Ranking.Gateway.Hosting;
using StackExchange.Redis;

namespace Ranking.Gateway.Caching.Redis;

/// <summary>What a read from Redis found.</summary>
/// <param name="Digest">What the stored entry's bytes hash to (<see cref="RedisEntryStore.DigestAsync"/>), when there is one.</param>
internal readonly record struct StoreRead(bool Available, CacheEntry? Entry, string? Digest = null)
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
    // Store only if no entry exists or the stored one was generated earlier, and neither the key (KEYS[2]) nor one of the
    // entry's tags (ARGV[6], the latest of their purges, read just before) was purged after this entry's fetch began: an
    // old, slow refresh can never overwrite a newer entry, nor undo a purge. A new entry is not soft-purged (field p).
    // Announces the change in the same round trip.
    private const string CompareAndSetScript = """
        local current = redis.call('HMGET', KEYS[1], 'g', 'p')
        if current[1] and tonumber(current[1]) >= tonumber(ARGV[1]) then return 0 end
        local purged = redis.call('GET', KEYS[2])
        if purged and tonumber(purged) >= tonumber(ARGV[1]) then return 0 end
        if tonumber(ARGV[6]) >= tonumber(ARGV[1]) then return 0 end
        redis.call('HSET', KEYS[1], 'g', ARGV[1], 'd', ARGV[2])
        if current[2] then redis.call('HDEL', KEYS[1], 'p') end
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        redis.call('PUBLISH', ARGV[3], ARGV[4])
        return 1
        """;

    // Adds a key to a tag's index (KEYS[1], a sorted set scored by when the entry leaves Redis, trimmed of those gone) and
    // returns when the tag was last purged (KEYS[2]). Both in the tag's slot, in this order: a purge of the tag that this
    // store does not see (it came later) finds the key in the index (TagPurges).
    private const string IndexScript = """
        redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
        if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
        return tonumber(redis.call('GET', KEYS[2]) or '0')
        """;

    // Records a tag's purge (KEYS[2], for ARGV[2] ms, never moving back) and returns the live keys of its index (KEYS[1]).
    private const string TagPurgeScript = """
        local purged = redis.call('GET', KEYS[2])
        if not purged or tonumber(purged) < tonumber(ARGV[1]) then redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2]) end
        return redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')
        """;

    // Replaces an entry only while it is still the one that was read (same generatedAt), keeping its expiry.
    private const string ReplaceSameScript = """
        if redis.call('HGET', KEYS[1], 'g') ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], 'd', ARGV[2])
        redis.call('PUBLISH', ARGV[3], ARGV[4])
        return 1
        """;

    // A purge: records when (KEYS[2], for ARGV[4] ms, never moving back, so a fetch that began before cannot store over
    // it), then, by ARGV[5]: 'hard' deletes the entry, 'soft' marks it out of date (field p: it reads STALE), 'epoch'
    // leaves it as it is (a Queue-mode group, queued instead). Announces a change, so every instance drops its in-process
    // copy. Returns 1 if there was an entry.
    private const string PurgeScript = """
        local purged = redis.call('GET', KEYS[2])
        if not purged or tonumber(purged) < tonumber(ARGV[3]) then redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4]) end
        local found = redis.call('EXISTS', KEYS[1])
        if found == 1 and ARGV[5] == 'hard' then redis.call('DEL', KEYS[1]) end
        if found == 1 and ARGV[5] == 'soft' then redis.call('HSET', KEYS[1], 'p', ARGV[3]) end
        if found == 1 and ARGV[5] ~= 'epoch' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
        return found
        """;

    private static readonly RedisValue[] EntryFields = ["d", "p"];

    // What an entry's stored bytes hash to (a soft purge's mark counts), without sending them: DigestOf's twin.
    private const string DigestScript = """
        local d = redis.call('HGET', KEYS[1], 'd')
        if not d then return false end
        if redis.call('HEXISTS', KEYS[1], 'p') == 1 then return redis.sha1hex(d) .. 'p' end
        return redis.sha1hex(d)
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
        bool purged;
        try
        {
            var fields = await _redis.Database.HashGetAsync(_redis.EntryKey(key), EntryFields);
            (data, purged) = ((byte[]?)fields[0], !fields[1].IsNull);
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
            var entry = EntryCodec.Decode(data);
            return new StoreRead(true, purged ? entry with { FreshUntil = entry.GeneratedAt, Flags = entry.Flags | EntryFlags.Purged } : entry, DigestOf(data, purged));
        }
        catch (InvalidDataException ex)
        {
            // A corrupt entry reads as a miss; the next store replaces it.
            _metrics.CorruptEntry();
            Log.CorruptEntry(_logger, ex);
            return new StoreRead(true, null);
        }
    }

    /// <summary>
    /// What the entry stored under <paramref name="key"/> hashes to, as <see cref="GetAsync"/> reports it with the entry:
    /// a look at whether it changed that moves ~40 bytes instead of the entry, and decodes nothing.
    /// </summary>
    /// <returns>Null if there is none, or Redis is unavailable.</returns>
    public async Task<string?> DigestAsync(string key)
    {
        if (!_redis.IsAvailable)
        {
            return null;
        }

        try
        {
            return (string?)await _redis.Database.ScriptEvaluateAsync(DigestScript, [_redis.EntryKey(key)]);
        }
        catch (Exception ex) when (RedisAccess.IsFailure(ex))
        {
            _redis.Fail(ex);
            return null;
        }
    }

    // SHA-1 as Redis's redis.sha1hex writes it (not for security: a change detector), and the soft purge's mark.
    private static string DigestOf(byte[] data, bool purged) => Convert.ToHexStringLower(SHA1.HashData(data)) + (purged ? "p" : "");

    /// <summary>
    /// Stores an entry unless a newer one is there or its key or one of its tags was purged after its fetch began; a tagged
    /// entry is first added to its tags' indexes (one more round trip, only for entries with tags).
    /// </summary>
    /// <returns>True if stored, false if a newer entry (or a purge) was there, null if Redis is unavailable.</returns>
    public async Task<bool?> SetAsync(string key, CacheEntry entry, TimeSpan timeToLive)
    {
        var ttl = (long)Math.Max(1, timeToLive.TotalMilliseconds);
        long tagsPurged = 0;
        if (entry.TagList.Count > 0)
        {
            var now = _time.GetUtcNow();
            var leaves = (now + timeToLive).ToUnixTimeMilliseconds();
            var indexed = await _redis.TryAsync(async db =>
            {
                var purges = await Task.WhenAll(entry.TagList.Select(async tag => (long)await db.ScriptEvaluateAsync(
                    IndexScript,
                    [_redis.TagIndexKey(tag), _redis.TagPurgedKey(tag)],
                    [key, leaves, now.ToUnixTimeMilliseconds(), ttl])));
                return purges.Max();
            });
            if (indexed is not { } latest)
            {
                return null;
            }

            tagsPurged = latest;
        }

        return await WriteAsync(CompareAndSetScript, key, entry, ttl, tagsPurged);
    }

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
            var envelope = EntryCodec.Encode(entry);

            // What it hashes to in Redis once written (the L1 checks its copy by it; a write refused leaves a digest
            // that matches nothing, so that check reads the key).
            entry.Memo.StoredDigest = DigestOf(envelope, purged: false);
            RedisValue[] args =
            [
                entry.GeneratedAt.ToUnixTimeMilliseconds(),
                envelope,
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
    public Task<bool?> DeleteAsync(string key) => PurgeAsync(key, PurgeKind.Hard);

    /// <summary>
    /// Purges an entry as <paramref name="kind"/> says; whatever the kind, no store whose fetch began before it (a refresh
    /// already under way, on any instance) can land afterwards.
    /// </summary>
    /// <returns>True if there was an entry, false if not, null if Redis is unavailable.</returns>
    public Task<bool?> PurgeAsync(string key, PurgeKind kind) =>
        _redis.TryAsync(async db => (int)await db.ScriptEvaluateAsync(
            PurgeScript,
            [_redis.EntryKey(key), _redis.PurgedKey(key)],
            [
                _redis.Changes.ToString(), _redis.ChangeMessage(key), _time.GetUtcNow().ToUnixTimeMilliseconds(),
                (long)PurgeEpochKept.TotalMilliseconds, kind.ToString().ToLowerInvariant(),
            ]) == 1);

    /// <summary>
    /// Records a purge of <paramref name="tag"/> (no store of an entry with this tag whose fetch began before can land) and
    /// returns the keys its index holds: the entries to purge. Unknown tags have none.
    /// </summary>
    /// <returns>Null if Redis is unavailable.</returns>
    public async Task<string[]?> PurgeTagAsync(string tag)
    {
        string[]? keys = null;
        var answered = await _redis.TryAsync(async db =>
        {
            var result = await db.ScriptEvaluateAsync(
                TagPurgeScript,
                [_redis.TagIndexKey(tag), _redis.TagPurgedKey(tag)],
                [_time.GetUtcNow().ToUnixTimeMilliseconds(), (long)PurgeEpochKept.TotalMilliseconds]);
            keys = (string[])result!;
            return true;
        });
        return answered is null ? null : keys;
    }

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

    /// <summary>Whether Redis answers now (for a caller that must change nothing unless it can change everything).</summary>
    public async Task<bool> PingAsync() => await _redis.TryAsync(async db => (await db.PingAsync()) >= TimeSpan.Zero) == true;

    /// <summary>Whether some instance holds the key's refresh lock (<see cref="RedisAccess.LockKey"/>).</summary>
    /// <returns>Null if Redis is unavailable.</returns>
    public Task<bool?> IsLockHeldAsync(string key) => _redis.TryAsync(db => db.KeyExistsAsync(_redis.LockKey(key)));

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.CorruptEntry, Level = LogLevel.Warning, Message = "A cached entry could not be read and is treated as a miss.")]
        public static partial void CorruptEntry(ILogger logger, Exception exception);
    }
}

/// <summary>What a purge does to an entry (<see cref="RedisEntryStore.PurgeAsync"/>).</summary>
internal enum PurgeKind
{
    /// <summary>Deletes it: the next read anywhere is a MISS.</summary>
    Hard,

    /// <summary>Marks it out of date: the next read is STALE and starts one (paced) refresh.</summary>
    Soft,

    /// <summary>Leaves it as it is (a Queue-mode group, queued for its consumers instead); only the purge's time is recorded.</summary>
    Epoch,
}
