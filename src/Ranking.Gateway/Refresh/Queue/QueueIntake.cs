using System.Diagnostics;
using Ranking.Gateway.Hosting;
using Ranking.Gateway.Ranking;
using StackExchange.Redis;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// The producer's side of the queue (<see cref="RefreshQueue"/> has its keys): changed groups into the shards' streams,
/// once each; the dirty set drained into them; the queued sets reconciled with the streams; how far changes were read
/// (the watermark) and until when the producer vouches for cached entries; the wake-up for idle consumers. Redis failures
/// surface as exceptions: the producer catches them, waits, and tries again.
/// </summary>
internal sealed class QueueIntake(RefreshQueue queue)
{
    // Queues each group unless it is already queued and not yet taken. ARGV: queued-at, the queueing span's traceparent
    // (empty without tracing), then (group, changed-at) pairs.
    private const string EnqueueScript = """
        local added = 0
        for i = 3, #ARGV, 2 do
          if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then
            if ARGV[2] == '' then
              redis.call('XADD', KEYS[2], '*', 'g', ARGV[i], 't', ARGV[i + 1], 'q', ARGV[1])
            else
              redis.call('XADD', KEYS[2], '*', 'g', ARGV[i], 't', ARGV[i + 1], 'q', ARGV[1], 'tp', ARGV[2])
            end
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

    // The watermark only moves forward, even if two producers briefly overlap. With ARGV[2] = 0 it is only moved, never
    // made: a missing watermark means the next pass queues every group (Redis lost the queue).
    private const string AdvanceScript = """
        local current = redis.call('GET', KEYS[1])
        if not current and ARGV[2] == '0' then return 0 end
        if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
        redis.call('SET', KEYS[1], ARGV[1])
        return 1
        """;

    /// <returns>How many of the groups were queued (the others already were).</returns>
    public async Task<long> EnqueueAsync(IReadOnlyCollection<GroupChange> changes, DateTimeOffset now)
    {
        if (changes.Count == 0)
        {
            return 0;
        }

        using var activity = GatewayTracing.Source.StartActivity(GatewayTracing.Publish, ActivityKind.Producer);
        activity?.SetTag(GatewayTracing.MessagingSystem, "redis").SetTag(GatewayTracing.MessagingOperationType, "send")
            .SetTag(GatewayTracing.MessagingOperationName, "XADD").SetTag(GatewayTracing.MessagingBatchCount, changes.Count);
        var traceParent = GatewayTracing.TraceParent(activity) ?? "";
        var database = queue.Database;
        var perShard = changes.GroupBy(c => queue.ShardOf(c.Group)).Select(async shard =>
        {
            RedisValue[] args =
            [
                now.ToUnixTimeMilliseconds(),
                traceParent,
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
        var database = queue.Database;
        var restored = await Task.WhenAll(queue.ShardsInUse.Select(async shard =>
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
        var groups = (RedisValue[])(await queue.Database.ScriptEvaluateAsync(TakeDirtyScript, [queue.Dirty, queue.DirtyTaken], [count]))!;
        if (groups.Length == 0)
        {
            return (0, 0);
        }

        var changedAt = now.UtcDateTime;
        var queued = await EnqueueAsync(groups.Select(g => new GroupChange((string)g!, changedAt)).ToArray(), now);
        await queue.Database.SetRemoveAsync(queue.DirtyTaken, groups);
        return (groups.Length, queued);
    }

    /// <summary>
    /// How far the producer has read changes (the database's clock, in Unix microseconds, PostgreSQL's precision and
    /// exact in Lua's numbers); null before its first pass.
    /// </summary>
    public async Task<DateTime?> GetWatermarkAsync()
    {
        var value = await queue.Database.StringGetAsync(queue.Watermark);
        return value.IsNull ? null : DateTime.UnixEpoch.AddTicks((long)value * 10);
    }

    /// <summary>An unfinished first pass: when it started (the database's clock) and the last group it queued; or null.</summary>
    public async Task<(DateTime Start, string After)?> GetFirstPassAsync()
    {
        var fields = await queue.Database.HashGetAsync(queue.FirstPass, ["start", "after"]);
        return fields[0].IsNull || fields[1].IsNull ? null : (DateTime.UnixEpoch.AddTicks((long)fields[0] * 10), (string)fields[1]!);
    }

    /// <summary>Records that a first pass begun at <paramref name="start"/> has queued every group up to <paramref name="after"/>.</summary>
    public Task SetFirstPassAsync(DateTime start, string after) =>
        queue.Database.HashSetAsync(queue.FirstPass, [new("start", (start - DateTime.UnixEpoch).Ticks / 10), new("after", after)]);

    public Task ClearFirstPassAsync() => queue.Database.KeyDeleteAsync(queue.FirstPass);

    /// <summary>
    /// Moves the watermark forward to <paramref name="watermark"/>; with <paramref name="create"/> false only an existing
    /// one (the change stream: after Redis lost every key, the first pass that queues every group must still come).
    /// </summary>
    public Task AdvanceWatermarkAsync(DateTime watermark, bool create = true) =>
        queue.Database.ScriptEvaluateAsync(AdvanceScript, [queue.Watermark], [(watermark - DateTime.UnixEpoch).Ticks / 10, create ? 1 : 0]);

    /// <summary>
    /// Until when the producer vouches, or vouched, for cached entries (the gateway's clock; in the past once its word
    /// lapsed); null when it never did within <c>RetainFor</c>.
    /// </summary>
    public async Task<DateTimeOffset?> GetVouchAsync()
    {
        var value = await queue.Database.StringGetAsync(queue.Vouch);
        return value.IsNull ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)value);
    }

    /// <summary>
    /// Records until when the producer vouches. The key outlives the word (for <paramref name="keep"/>, the entries'
    /// retention): a lapsed vouch still says when entries were last known good. Withdrawing the word is vouching until now.
    /// </summary>
    public Task SetVouchAsync(DateTimeOffset until, TimeSpan keep) => queue.Database.StringSetAsync(queue.Vouch, until.ToUnixTimeMilliseconds(), keep);

    /// <summary>Tells idle consumers there is work.</summary>
    public Task WakeConsumersAsync() => queue.Subscriber.PublishAsync(queue.Wake, "");
}
