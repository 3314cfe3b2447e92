using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;
using StackExchange.Redis;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// The queue's Redis side. Every key shares the <c>{refresh}</c> hash tag, so the scripts below run in one cluster slot:
/// <list type="bullet">
/// <item><c>{prefix}{refresh}:queue</c> — a stream of groups to recompute (fields <c>g</c> group, <c>t</c> when it changed,
/// <c>q</c> when it was queued), consumer group <c>refreshers</c>;</item>
/// <item><c>{prefix}{refresh}:queued</c> — the set of groups in the stream and not yet taken, so a group is never queued twice;</item>
/// <item><c>{prefix}{refresh}:dirty</c> — the set writers may <c>SADD</c> changed group ids to;</item>
/// <item><c>{prefix}{refresh}:errors</c> — the last error of each failed item, by stream id;</item>
/// <item><c>{prefix}{refresh}:dead</c> — the dead-letter stream (capped at about 10,000 items);</item>
/// <item><c>{prefix}{refresh}:leader</c>, <c>:watermark</c>, <c>:vouch</c> — the producer's lease, how far it has read
/// changes, and until when it vouches for cached entries; <c>:wake</c> is the channel that wakes idle consumers.</item>
/// </list>
/// Processed items are acknowledged and deleted, so the stream's length is the work not yet done. Redis failures
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

    // Moves up to ARGV[1] groups from the dirty set into the queue, atomically, so a mark is never lost in between.
    private const string EnqueueDirtyScript = """
        local groups = redis.call('SPOP', KEYS[1], ARGV[1])
        local added = 0
        for _, g in ipairs(groups) do
          if redis.call('SADD', KEYS[2], g) == 1 then
            redis.call('XADD', KEYS[3], '*', 'g', g, 't', ARGV[2], 'q', ARGV[2])
            added = added + 1
          end
        end
        return {#groups, added}
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

    // The watermark only moves forward, even if two producers briefly overlap.
    private const string AdvanceScript = """
        local current = redis.call('GET', KEYS[1])
        if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
        redis.call('SET', KEYS[1], ARGV[1])
        return 1
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;

    public RefreshQueue(IConnectionMultiplexer redis, IOptions<GatewayOptions> options)
    {
        _redis = redis;
        _prefix = options.Value.KeyPrefix + "{refresh}:";
        Stream = _prefix + "queue";
        Dirty = _prefix + "dirty";
        Wake = RedisChannel.Literal(_prefix + "wake");
    }

    /// <summary>The stream of queued groups.</summary>
    public RedisKey Stream { get; }

    /// <summary>The set writers <c>SADD</c> changed group ids to.</summary>
    public RedisKey Dirty { get; }

    public RedisChannel Wake { get; }

    public RedisKey Queued => _prefix + "queued";

    public RedisKey Errors => _prefix + "errors";

    public RedisKey DeadLetters => _prefix + "dead";

    public RedisKey Leader => _prefix + "leader";

    public RedisKey Watermark => _prefix + "watermark";

    public RedisKey Vouch => _prefix + "vouch";

    private IDatabase Database => _redis.GetDatabase();

    /// <summary>Creates the consumer group (and the stream) if missing; from the stream's start, so nothing queued before is skipped.</summary>
    public async Task EnsureConsumerGroupAsync()
    {
        try
        {
            await Database.StreamCreateConsumerGroupAsync(Stream, ConsumerGroup, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // It exists.
        }
    }

    /// <returns>How many of the groups were queued (the others already were).</returns>
    public async Task<long> EnqueueAsync(IReadOnlyCollection<GroupChange> changes, DateTimeOffset now)
    {
        if (changes.Count == 0)
        {
            return 0;
        }

        RedisValue[] args =
        [
            now.ToUnixTimeMilliseconds(),
            .. changes.SelectMany(c => new RedisValue[] { c.Group, new DateTimeOffset(c.ChangedAt, TimeSpan.Zero).ToUnixTimeMilliseconds() }),
        ];
        return (long)await Database.ScriptEvaluateAsync(EnqueueScript, [Queued, Stream], args);
    }

    /// <returns>How many dirty marks were taken, and how many of those groups were queued.</returns>
    public async Task<(long Taken, long Queued)> EnqueueDirtyAsync(int count, DateTimeOffset now)
    {
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(EnqueueDirtyScript, [Dirty, Queued, Stream], [count, now.ToUnixTimeMilliseconds()]))!;
        return ((long)result[0], (long)result[1]);
    }

    /// <summary>Items never delivered before, for <paramref name="consumer"/>.</summary>
    public async Task<IReadOnlyList<QueueItem>> ReadNewAsync(string consumer, int count)
    {
        var entries = await Database.StreamReadGroupAsync(Stream, ConsumerGroup, consumer, StreamPosition.NewMessages, count);
        return entries.Select(e => Item(e, deliveries: 1, lastError: null)).ToArray();
    }

    /// <summary>
    /// Takes over delivered, unacknowledged items that are due again: a failed item (its error recorded) after
    /// <paramref name="backoff"/> doubled per delivery, any other (its consumer crashed or hangs) after
    /// <paramref name="visibility"/>. A claim succeeds only if the item is still that idle, so two consumers never
    /// both take one.
    /// </summary>
    public async Task<IReadOnlyList<QueueItem>> ClaimDueAsync(string consumer, int count, TimeSpan backoff, TimeSpan visibility)
    {
        var pending = await Database.StreamPendingMessagesAsync(Stream, ConsumerGroup, count, RedisValue.Null, minIdleTimeInMs: (long)backoff.TotalMilliseconds);
        if (pending.Length == 0)
        {
            return [];
        }

        var errors = await Database.HashGetAsync(Errors, pending.Select(p => (RedisValue)p.MessageId).ToArray());
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

            var claimed = await Database.StreamClaimAsync(Stream, ConsumerGroup, consumer, (long)threshold.TotalMilliseconds, [p.MessageId]);
            return claimed.Where(e => !e.IsNull).Select(e => Item(e, p.DeliveryCount + 1, error ?? $"not acknowledged by {p.ConsumerName} within {visibility}")).ToArray();
        });
        return (await Task.WhenAll(claims)).SelectMany(c => c).ToArray();
    }

    /// <summary>
    /// Takes groups out of the queued set before they are recomputed: a change that lands after this is queued again,
    /// one that landed before is in what the recompute reads. Never after, or a change in between would be lost.
    /// </summary>
    public Task TakeAsync(IEnumerable<string> groups) =>
        Database.SetRemoveAsync(Queued, groups.Select(g => (RedisValue)g).ToArray());

    public async Task CompleteAsync(IReadOnlyCollection<string> ids)
    {
        if (ids.Count > 0)
        {
            await Database.ScriptEvaluateAsync(CompleteScript, [Stream, Errors], [ConsumerGroup, .. ids.Select(id => (RedisValue)id)]);
        }
    }

    /// <summary>Records why an item failed; it stays pending and is retried after its backoff.</summary>
    public Task FailAsync(QueueItem item, string error) => Database.HashSetAsync(Errors, item.Id, error);

    public Task DeadLetterAsync(QueueItem item, string error) =>
        Database.ScriptEvaluateAsync(DeadLetterScript, [Stream, Errors, DeadLetters], [ConsumerGroup, item.Id, item.Group, item.ChangedAtMs, item.Deliveries, error]);

    public async Task<QueueStats> StatsAsync(DateTimeOffset now)
    {
        var database = Database;
        var length = database.StreamLengthAsync(Stream);
        var pending = database.StreamPendingAsync(Stream, ConsumerGroup);
        var dead = database.StreamLengthAsync(DeadLetters);
        var oldest = database.StreamRangeAsync(Stream, count: 1);
        await Task.WhenAll(length, pending, dead, oldest);
        var first = oldest.Result.FirstOrDefault();
        return new QueueStats(length.Result, pending.Result.PendingMessageCount, dead.Result, AgeOf(first, "t"), AgeOf(first, "q"));

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

    /// <summary>Until when the producer vouches for cached entries (the gateway's clock); null when it does not.</summary>
    public async Task<DateTimeOffset?> GetVouchAsync()
    {
        var value = await Database.StringGetAsync(Vouch);
        return value.IsNull ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)value);
    }

    public Task SetVouchAsync(DateTimeOffset until, TimeSpan keep) => Database.StringSetAsync(Vouch, until.ToUnixTimeMilliseconds(), keep);

    public Task WithdrawVouchAsync() => Database.KeyDeleteAsync(Vouch);

    /// <summary>Tells idle consumers there is work.</summary>
    public Task WakeConsumersAsync() => _redis.GetSubscriber().PublishAsync(Wake, "");

    private static QueueItem Item(StreamEntry entry, long deliveries, string? lastError) =>
        new(entry.Id!, (string?)entry["g"] ?? "", (long?)entry["t"] ?? 0, deliveries, lastError);
}
