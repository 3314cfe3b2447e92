using System.Text;
using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Ranking;
using StackExchange.Redis;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// The queue's Redis side. The work is split into <c>QueueShards</c> shards by the group's key slot, each under a hash
/// tag of its own, so on a Redis Cluster the queue's traffic spreads over as many slots (and so masters) as there are
/// shards, while the keys one script touches stay in one slot (<see cref="QueueShard"/>):
/// <list type="bullet">
/// <item><c>{prefix}{refresh:N}:queue</c> — a stream of groups to recompute (fields <c>g</c> group, <c>t</c> when it
/// changed, <c>q</c> when it was queued), consumer group <c>refreshers</c>;</item>
/// <item><c>{prefix}{refresh:N}:queued</c> — the set of the shard's groups in the stream and not yet taken, so a group is
/// never queued twice;</item>
/// <item><c>{prefix}{refresh:N}:errors</c> — the last error of each failed item, by stream id;</item>
/// <item><c>{prefix}{refresh:N}:dead</c> — the dead-letter stream (capped at about 10,000 items).</item>
/// </list>
/// Keys used alone, each in a slot of its own: <c>{prefix}{refresh}:dirty</c>, the set writers may <c>SADD</c> changed
/// group ids to (its name is the writers' contract, so it does not depend on the shard count), with
/// <c>{prefix}{refresh}:dirty:taken</c> in its slot, the marks a producer has taken and not yet queued;
/// <c>{prefix}{refresh:leader}</c>, <c>{prefix}{refresh:watermark}</c>, <c>{prefix}{refresh:vouch}</c> — the producer's
/// lease, how far it has read changes, and until when it vouches for cached entries; <c>{prefix}{refresh:shards}</c>, the
/// highest <c>QueueShards</c> any instance has used. <c>{prefix}{refresh}:wake</c> is the channel that wakes idle consumers.
/// Processed items are acknowledged and deleted, so the streams' length is the work not yet done. Redis failures
/// surface as exceptions: the producer and consumers catch them, wait, and try again.
/// </summary>
internal sealed class RefreshQueue
{
    public const string ConsumerGroup = "refreshers";

    // Queues each group unless it is already queued and not yet taken. ARGV: queued-at, then (group, changed-at) pairs.
    private const string EnqueueScript = """
        local added = 0
        for i = 2, #ARGV, 2 do
          if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then
            redis.call('XADD', KEYS[2], '*', 'g', ARGV[i], 't', ARGV[i + 1], 'q', ARGV[1])
            added = added + 1
          end
        end
        return added
        """;

    // Takes up to ARGV[1] dirty marks, moving them to the taken set, where they stay until queued. Marks a producer took
    // and did not queue (it died, or Redis failed between the steps) are taken again first.
    private const string TakeDirtyScript = """
        local count = tonumber(ARGV[1])
        local groups = redis.call('SRANDMEMBER', KEYS[2], count)
        if #groups < count then
          local popped = redis.call('SPOP', KEYS[1], count - #groups)
          if #popped > 0 then
            redis.call('SADD', KEYS[2], unpack(popped))
            for _, g in ipairs(popped) do groups[#groups + 1] = g end
          end
        end
        return groups
        """;

    private const string CompleteScript = """
        for i = 2, #ARGV do
          redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
          redis.call('XDEL', KEYS[1], ARGV[i])
          redis.call('HDEL', KEYS[2], ARGV[i])
        end
        return #ARGV - 1
        """;

    private const string DeadLetterScript = """
        redis.call('XADD', KEYS[3], 'MAXLEN', '~', '10000', '*', 'g', ARGV[3], 't', ARGV[4], 'deliveries', ARGV[5], 'error', ARGV[6], 'id', ARGV[2])
        redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        redis.call('XDEL', KEYS[1], ARGV[2])
        redis.call('HDEL', KEYS[2], ARGV[2])
        return 1
        """;

    // Puts back into the stream every group the queued set holds but the stream lost (an operator's XTRIM or DEL): a
    // mark without its item would keep the group from ever being queued again. KEYS = queued, stream; ARGV = now.
    private const string ReconcileScript = """
        local inStream = {}
        for _, entry in ipairs(redis.call('XRANGE', KEYS[2], '-', '+')) do
          local fields = entry[2]
          for i = 1, #fields, 2 do
            if fields[i] == 'g' then inStream[fields[i + 1]] = true end
          end
        end
        local restored = 0
        for _, group in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          if not inStream[group] then
            redis.call('XADD', KEYS[2], '*', 'g', group, 't', ARGV[1], 'q', ARGV[1])
            restored = restored + 1
          end
        end
        return restored
        """;

    // Records an item's error and sets its delivery count back (XCLAIM by its own consumer, RETRYCOUNT): KEYS = errors,
    // stream; ARGV = id, error, group, consumer, delivery count.
    private const string UncountedFailureScript = """
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('XCLAIM', KEYS[2], ARGV[3], ARGV[4], 0, ARGV[1], 'RETRYCOUNT', ARGV[5], 'JUSTID')
        return 1
        """;

    // Deletes a consumer from a shard's group unless it holds pending items: deleting it would drop them from the
    // pending list, and nobody could take them over.
    private const string RemoveConsumerScript = """
        if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
        redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
        return 1
        """;

    // Raises the shard count in use to ARGV[1] if that is higher (or the key holds no number); returns the count in use.
    private const string ShardsInUseScript = """
        local current = tonumber(redis.call('GET', KEYS[1])) or 0
        if current >= tonumber(ARGV[1]) then return current end
        redis.call('SET', KEYS[1], ARGV[1])
        return tonumber(ARGV[1])
        """;

    // The watermark only moves forward, even if two producers briefly overlap.
    private const string AdvanceScript = """
        local current = redis.call('GET', KEYS[1])
        if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
        redis.call('SET', KEYS[1], ARGV[1])
        return 1
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;
    private volatile QueueShard[] _inUse;

    public RefreshQueue(IConnectionMultiplexer redis, IOptions<GatewayOptions> options, IOptions<RankingOptions> ranking)
    {
        _redis = redis;
        var prefix = _prefix = options.Value.KeyPrefix;
        _inUse = Enumerable.Range(0, ranking.Value.Refresh.QueueShards).Select(i => new QueueShard(i, prefix)).ToArray();
        Shards = _inUse;
        ShardCount = prefix + "{refresh:shards}";
        Dirty = prefix + "{refresh}:dirty";
        DirtyTaken = prefix + "{refresh}:dirty:taken";
        Wake = RedisChannel.Literal(prefix + "{refresh}:wake");
        Leader = prefix + "{refresh:leader}";
        Watermark = prefix + "{refresh:watermark}";
        Vouch = prefix + "{refresh:vouch}";
    }

    /// <summary>The shards this instance queues into: its own <c>QueueShards</c>.</summary>
    public IReadOnlyList<QueueShard> Shards { get; }

    /// <summary>
    /// The shards this instance reads, counts and cleans: its own, and more if another instance of the fleet queues into
    /// more (<see cref="SyncShardsAsync"/>), so a fleet whose <c>QueueShards</c> differ strands no queued group.
    /// </summary>
    public IReadOnlyList<QueueShard> ShardsInUse => _inUse;

    /// <summary>The highest <c>QueueShards</c> an instance has used.</summary>
    public RedisKey ShardCount { get; }

    /// <summary>The set writers <c>SADD</c> changed group ids to.</summary>
    public RedisKey Dirty { get; }

    /// <summary>Dirty marks a producer has taken and not yet queued; in <see cref="Dirty"/>'s slot.</summary>
    public RedisKey DirtyTaken { get; }

    public RedisChannel Wake { get; }

    public RedisKey Leader { get; }

    public RedisKey Watermark { get; }

    public RedisKey Vouch { get; }

    private IDatabase Database => _redis.GetDatabase();

    /// <summary>The shard a group is queued in: its Redis Cluster key slot (<c>CLUSTER KEYSLOT</c>) modulo the shard count.</summary>
    public QueueShard ShardOf(string group) => Shards[KeySlot(group) % Shards.Count];

    /// <summary>
    /// Records this instance's <c>QueueShards</c> in <see cref="ShardCount"/> if it is the highest, and takes on the
    /// fleet's highest for <see cref="ShardsInUse"/> (which never shrinks while the process runs).
    /// </summary>
    /// <returns>The shard count in use.</returns>
    public async Task<int> SyncShardsAsync()
    {
        // Never more than QueueShards may be, whatever an operator wrote there.
        var inUse = (int)Math.Min((long)await Database.ScriptEvaluateAsync(ShardsInUseScript, [ShardCount], [Shards.Count]), RefreshOptions.MaxQueueShards);
        var known = _inUse;
        if (inUse > known.Length)
        {
            _inUse = [.. known, .. Enumerable.Range(known.Length, inUse - known.Length).Select(i => new QueueShard(i, _prefix))];
        }

        return inUse;
    }

    /// <summary>Creates each shard's consumer group (and stream) if missing; from the stream's start, so nothing queued before is skipped.</summary>
    public async Task EnsureConsumerGroupAsync()
    {
        foreach (var shard in ShardsInUse)
        {
            try
            {
                await Database.StreamCreateConsumerGroupAsync(shard.Stream, ConsumerGroup, StreamPosition.Beginning, createStream: true);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
            {
                // It exists.
            }
        }
    }

    /// <returns>How many of the groups were queued (the others already were).</returns>
    public async Task<long> EnqueueAsync(IReadOnlyCollection<GroupChange> changes, DateTimeOffset now)
    {
        var database = Database;
        var perShard = changes.GroupBy(c => ShardOf(c.Group)).Select(async shard =>
        {
            RedisValue[] args =
            [
                now.ToUnixTimeMilliseconds(),
                .. shard.SelectMany(c => new RedisValue[] { c.Group, new DateTimeOffset(c.ChangedAt, TimeSpan.Zero).ToUnixTimeMilliseconds() }),
            ];
            return (long)await database.ScriptEvaluateAsync(EnqueueScript, [shard.Key.Queued, shard.Key.Stream], args);
        });
        return (await Task.WhenAll(perShard)).Sum();
    }

    /// <summary>
    /// Keeps each shard's queued set and stream in step: a group marked queued whose item vanished from the stream (an
    /// operator's <c>XTRIM</c> or <c>DEL</c>) is queued again, so its change is not lost and the group is not stuck.
    /// Reads the whole stream of each shard, which is the work not yet done.
    /// </summary>
    /// <returns>How many items were put back.</returns>
    public async Task<long> ReconcileAsync(DateTimeOffset now)
    {
        var database = Database;
        var restored = await Task.WhenAll(ShardsInUse.Select(async shard =>
            (long)await database.ScriptEvaluateAsync(ReconcileScript, [shard.Queued, shard.Stream], [now.ToUnixTimeMilliseconds()])));
        return restored.Sum();
    }

    /// <summary>
    /// Moves up to <paramref name="count"/> groups from the dirty set into the queue. The set and the shards are in
    /// different slots, so this is two steps, and nothing is lost between them: the marks move to the taken set (in the
    /// dirty set's slot, atomically) and leave it only once their groups are queued. Marks left there by a producer that
    /// died, or by Redis failing between the steps, are queued first by the next call.
    /// </summary>
    /// <returns>How many dirty marks were taken, and how many of those groups were queued.</returns>
    public async Task<(long Taken, long Queued)> EnqueueDirtyAsync(int count, DateTimeOffset now)
    {
        var groups = (RedisValue[])(await Database.ScriptEvaluateAsync(TakeDirtyScript, [Dirty, DirtyTaken], [count]))!;
        if (groups.Length == 0)
        {
            return (0, 0);
        }

        var changedAt = now.UtcDateTime;
        var queued = await EnqueueAsync(groups.Select(g => new GroupChange((string)g!, changedAt)).ToArray(), now);
        await Database.SetRemoveAsync(DirtyTaken, groups);
        return (groups.Length, queued);
    }

    /// <summary>Items of <paramref name="shard"/> never delivered before, for <paramref name="consumer"/>.</summary>
    public async Task<IReadOnlyList<QueueItem>> ReadNewAsync(QueueShard shard, string consumer, int count)
    {
        var entries = await Database.StreamReadGroupAsync(shard.Stream, ConsumerGroup, consumer, StreamPosition.NewMessages, count);
        return entries.Select(e => Item(shard, e, deliveries: 1, lastError: null)).ToArray();
    }

    /// <summary>
    /// Takes over delivered, unacknowledged items of <paramref name="shard"/> that are due again: a failed item (its
    /// error recorded) after <paramref name="backoff"/> doubled per delivery, any other (its consumer crashed or hangs)
    /// after <paramref name="visibility"/>. A claim succeeds only if the item is still that idle, so two consumers never
    /// both take one.
    /// </summary>
    public async Task<IReadOnlyList<QueueItem>> ClaimDueAsync(QueueShard shard, string consumer, int count, TimeSpan backoff, TimeSpan visibility)
    {
        var soonest = backoff < visibility ? backoff : visibility;
        var pending = await Database.StreamPendingMessagesAsync(shard.Stream, ConsumerGroup, count, RedisValue.Null, minIdleTimeInMs: (long)soonest.TotalMilliseconds);
        if (pending.Length == 0)
        {
            return [];
        }

        var errors = await Database.HashGetAsync(shard.Errors, pending.Select(p => (RedisValue)p.MessageId).ToArray());
        var claims = pending.Select(async (p, i) =>
        {
            var error = (string?)errors[i];
            var threshold = error is null
                ? visibility
                : TimeSpan.FromTicks(Math.Min(visibility.Ticks, backoff.Ticks * (1L << (int)Math.Min(p.DeliveryCount - 1, 20))));
            if (p.IdleTimeInMilliseconds < (long)threshold.TotalMilliseconds)
            {
                return Array.Empty<QueueItem>();
            }

            var claimed = await Database.StreamClaimAsync(shard.Stream, ConsumerGroup, consumer, (long)threshold.TotalMilliseconds, [p.MessageId]);
            return claimed.Where(e => !e.IsNull).Select(e => Item(shard, e, p.DeliveryCount + 1, error ?? $"not acknowledged by {p.ConsumerName} within {visibility}")).ToArray();
        });
        return (await Task.WhenAll(claims)).SelectMany(c => c).ToArray();
    }

    /// <summary>
    /// Takes groups out of the queued sets before they are recomputed: a change that lands after this is queued again,
    /// one that landed before is in what the recompute reads. Never after, or a change in between would be lost.
    /// </summary>
    /// <remarks>
    /// Each item's group leaves the queued set of the shard it was read from, whatever this instance's shard count. Its
    /// last error is cleared (the item keeps it in hand): while it runs, it is judged by the visibility timeout, which
    /// its consumer's heartbeat keeps pushing back, not by the short backoff of a failed item (<see cref="ClaimDueAsync"/>).
    /// </remarks>
    public Task TakeAsync(IEnumerable<QueueItem> items) =>
        Task.WhenAll(items.GroupBy(i => i.Shard).Select(shard => Task.WhenAll(
            Database.SetRemoveAsync(shard.Key.Queued, shard.Select(i => (RedisValue)i.Group).Distinct().ToArray()),
            Database.HashDeleteAsync(shard.Key.Errors, shard.Select(i => (RedisValue)i.Id).ToArray()))));

    /// <summary>
    /// The heartbeat of a consumer working on <paramref name="items"/>: claims them again for itself (idle time back to
    /// zero, delivery count unchanged), so no other consumer takes them over while they run, however long that is.
    /// </summary>
    public Task ExtendAsync(IEnumerable<QueueItem> items, string consumer) =>
        Task.WhenAll(items.GroupBy(i => i.Shard).Select(shard =>
            Database.StreamClaimIdsOnlyAsync(shard.Key.Stream, ConsumerGroup, consumer, 0, shard.Select(i => (RedisValue)i.Id).ToArray())));

    public Task CompleteAsync(IEnumerable<QueueItem> items) =>
        Task.WhenAll(items.GroupBy(i => i.Shard).Select(shard =>
            Database.ScriptEvaluateAsync(CompleteScript, [shard.Key.Stream, shard.Key.Errors], [ConsumerGroup, .. shard.Select(i => (RedisValue)i.Id)])));

    /// <summary>
    /// Removes a stopping consumer's name from every shard's group, where it holds no pending item (one that does stays,
    /// so its items can be taken over), so names do not pile up in the groups as instances come and go.
    /// </summary>
    public Task RemoveConsumerAsync(string consumer) =>
        Task.WhenAll(ShardsInUse.Select(shard => Database.ScriptEvaluateAsync(RemoveConsumerScript, [shard.Stream], [ConsumerGroup, consumer])));

    /// <summary>Records why an item failed; it stays pending and is retried after its backoff.</summary>
    public Task FailAsync(QueueItem item, string error) => Database.HashSetAsync(item.Shard.Errors, item.Id, error);

    /// <summary>
    /// Records why an item failed without counting the delivery against it (the origin itself was failing, not the
    /// item): its delivery count goes back to what it was before this delivery, so it is retried after the same backoff
    /// as last time and is not moved to the dead-letter stream for the origin's outage.
    /// </summary>
    public Task FailUncountedAsync(QueueItem item, string error, string consumer) =>
        Database.ScriptEvaluateAsync(UncountedFailureScript, [item.Shard.Errors, item.Shard.Stream], [item.Id, error, ConsumerGroup, consumer, Math.Max(1, item.Deliveries - 1)]);

    public Task DeadLetterAsync(QueueItem item, string error) =>
        Database.ScriptEvaluateAsync(
            DeadLetterScript,
            [item.Shard.Stream, item.Shard.Errors, item.Shard.DeadLetters],
            [ConsumerGroup, item.Id, item.Group, item.ChangedAtMs, item.Deliveries, error]);

    /// <summary>The shards' lengths, pending and dead-letter counts added up; the ages of the oldest item of any shard.</summary>
    public async Task<QueueStats> StatsAsync(DateTimeOffset now)
    {
        var database = Database;
        var shards = await Task.WhenAll(ShardsInUse.Select(async shard =>
        {
            var length = database.StreamLengthAsync(shard.Stream);
            var pending = database.StreamPendingAsync(shard.Stream, ConsumerGroup);
            var dead = database.StreamLengthAsync(shard.DeadLetters);
            var oldest = database.StreamRangeAsync(shard.Stream, count: 1);
            await Task.WhenAll(length, pending, dead, oldest);
            var first = oldest.Result.FirstOrDefault();
            return new QueueStats(length.Result, pending.Result.PendingMessageCount, dead.Result, AgeOf(first, "t"), AgeOf(first, "q"));
        }));
        return new QueueStats(
            shards.Sum(s => s.Length),
            shards.Sum(s => s.Pending),
            shards.Sum(s => s.DeadLetters),
            shards.Max(s => s.OldestChangeAge),
            shards.Max(s => s.OldestQueuedAge));

        TimeSpan AgeOf(StreamEntry entry, string field) =>
            !entry.IsNull && (long?)entry[field] is { } at ? TimeSpan.FromMilliseconds(Math.Max(0, now.ToUnixTimeMilliseconds() - at)) : TimeSpan.Zero;
    }

    /// <summary>
    /// How far the producer has read changes (the database's clock, in Unix microseconds, PostgreSQL's precision and
    /// exact in Lua's numbers); null before its first pass.
    /// </summary>
    public async Task<DateTime?> GetWatermarkAsync()
    {
        var value = await Database.StringGetAsync(Watermark);
        return value.IsNull ? null : DateTime.UnixEpoch.AddTicks((long)value * 10);
    }

    public Task AdvanceWatermarkAsync(DateTime watermark) =>
        Database.ScriptEvaluateAsync(AdvanceScript, [Watermark], [(watermark - DateTime.UnixEpoch).Ticks / 10]);

    /// <summary>
    /// Until when the producer vouches, or vouched, for cached entries (the gateway's clock; in the past once its word
    /// lapsed); null when it never did within <c>RetainFor</c>.
    /// </summary>
    public async Task<DateTimeOffset?> GetVouchAsync()
    {
        var value = await Database.StringGetAsync(Vouch);
        return value.IsNull ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)value);
    }

    /// <summary>
    /// Records until when the producer vouches. The key outlives the word (for <paramref name="keep"/>, the entries'
    /// retention): a lapsed vouch still says when entries were last known good. Withdrawing the word is vouching until now.
    /// </summary>
    public Task SetVouchAsync(DateTimeOffset until, TimeSpan keep) => Database.StringSetAsync(Vouch, until.ToUnixTimeMilliseconds(), keep);

    /// <summary>Tells idle consumers there is work.</summary>
    public Task WakeConsumersAsync() => _redis.GetSubscriber().PublishAsync(Wake, "");

    /// <summary>
    /// CRC16/XMODEM of the UTF-8 bytes modulo 16384, as Redis Cluster computes a key's slot (group ids hold no braces,
    /// so no hash tag). Computed here because the client knows slots only when connected to a cluster, and a group's
    /// shard must not depend on that.
    /// </summary>
    internal static int KeySlot(string key)
    {
        var crc = 0;
        foreach (var b in Encoding.UTF8.GetBytes(key))
        {
            crc ^= b << 8;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }

        return crc & 0x3FFF;
    }

    private static QueueItem Item(QueueShard shard, StreamEntry entry, long deliveries, string? lastError) =>
        new(shard, entry.Id!, (string?)entry["g"] ?? "", (long?)entry["t"] ?? 0, deliveries, lastError);
}
