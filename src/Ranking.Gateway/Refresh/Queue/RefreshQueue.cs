using System.Text;
using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Ranking;
using StackExchange.Redis;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// The queue's keys in Redis, its shards, its consumer group and its figures; the producer's side is
/// <see cref="QueueIntake"/>, the consumers' (the retry schedule, the heartbeat, dead letters) <see cref="QueueDeliveries"/>.
/// The work is split into <c>QueueShards</c> shards by the group's key slot, each under a hash
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
/// lease, how far it has read changes, and until when it vouches for cached entries; <c>{prefix}{refresh:first-pass}</c>,
/// how far an unfinished first pass got; <c>{prefix}{refresh:shards}</c>, the
/// highest <c>QueueShards</c> any instance has used. <c>{prefix}{refresh}:wake</c> is the channel that wakes idle consumers.
/// Processed items are acknowledged and deleted, so the streams' length is the work not yet done. Redis failures
/// surface as exceptions: the producer and consumers catch them, wait, and try again.
/// </summary>
internal sealed class RefreshQueue
{
    public const string ConsumerGroup = "refreshers";

    // Raises the shard count in use to ARGV[1] if that is higher (or the key holds no number); returns the count in use.
    private const string ShardsInUseScript = """
        local current = tonumber(redis.call('GET', KEYS[1])) or 0
        if current >= tonumber(ARGV[1]) then return current end
        redis.call('SET', KEYS[1], ARGV[1])
        return tonumber(ARGV[1])
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
        FirstPass = prefix + "{refresh:first-pass}";
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

    /// <summary>How far a first pass (every group, before there is a watermark) has queued: its start and last group.</summary>
    public RedisKey FirstPass { get; }

    public RedisKey Vouch { get; }

    public IDatabase Database => _redis.GetDatabase();

    public ISubscriber Subscriber => _redis.GetSubscriber();

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

    /// <summary>The shards' lengths, pending and dead-letter counts added up; the ages of the oldest item of any shard.</summary>
    public async Task<QueueStats> StatsAsync(DateTimeOffset now)
    {
        var shards = await ShardStatsAsync(now);
        return new QueueStats(
            shards.Sum(s => s.Length),
            shards.Sum(s => s.Pending),
            shards.Sum(s => s.DeadLetters),
            shards.Max(s => s.OldestChangeAge),
            shards.Max(s => s.OldestQueuedAge),
            shards.Max(s => s.OldestDeadLetterAge));
    }

    /// <summary>Each shard in use: its length, pending and dead-letter counts, and the ages of its oldest items.</summary>
    public async Task<QueueStats[]> ShardStatsAsync(DateTimeOffset now)
    {
        var database = Database;
        return await Task.WhenAll(ShardsInUse.Select(async shard =>
        {
            var length = database.StreamLengthAsync(shard.Stream);
            var pending = database.StreamPendingAsync(shard.Stream, ConsumerGroup);
            var dead = database.StreamLengthAsync(shard.DeadLetters);
            var oldest = database.StreamRangeAsync(shard.Stream, count: 1);
            var oldestDead = database.StreamRangeAsync(shard.DeadLetters, count: 1);
            await Task.WhenAll(length, pending, dead, oldest, oldestDead);
            var first = oldest.Result.FirstOrDefault();
            return new QueueStats(length.Result, pending.Result.PendingMessageCount, dead.Result, AgeOf(first, "t"), AgeOf(first, "q"), DeadFor(oldestDead.Result.FirstOrDefault()));
        }));

        // A dead letter's stream id starts with the Redis server's clock (ms) when it was dead-lettered.
        TimeSpan DeadFor(StreamEntry entry) =>
            !entry.IsNull && long.TryParse(((string?)entry.Id)?.Split('-')[0], out var at) ? TimeSpan.FromMilliseconds(Math.Max(0, now.ToUnixTimeMilliseconds() - at)) : TimeSpan.Zero;

        TimeSpan AgeOf(StreamEntry entry, string field) =>
            !entry.IsNull && (long?)entry[field] is { } at ? TimeSpan.FromMilliseconds(Math.Max(0, now.ToUnixTimeMilliseconds() - at)) : TimeSpan.Zero;
    }

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

}
