using StackExchange.Redis;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// The consumers' side of the queue (<see cref="RefreshQueue"/> has its keys): new items read; due items claimed again on
/// the retry schedule (a failed item after its backoff, doubled per delivery; one whose consumer vanished after the
/// visibility timeout); the heartbeat that keeps a running batch claimed; acknowledgement, failures counted or not, and
/// dead letters. Redis failures surface as exceptions: the consumer catches them, waits, and tries again.
/// </summary>
internal sealed class QueueDeliveries(RefreshQueue queue)
{
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

    /// <summary>Items of <paramref name="shard"/> never delivered before, for <paramref name="consumer"/>.</summary>
    public async Task<IReadOnlyList<QueueItem>> ReadNewAsync(QueueShard shard, string consumer, int count)
    {
        var entries = await queue.Database.StreamReadGroupAsync(shard.Stream, RefreshQueue.ConsumerGroup, consumer, StreamPosition.NewMessages, count);
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
        var pending = await queue.Database.StreamPendingMessagesAsync(shard.Stream, RefreshQueue.ConsumerGroup, count, RedisValue.Null, minIdleTimeInMs: (long)soonest.TotalMilliseconds);
        if (pending.Length == 0)
        {
            return [];
        }

        var errors = await queue.Database.HashGetAsync(shard.Errors, pending.Select(p => (RedisValue)p.MessageId).ToArray());
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

            var claimed = await queue.Database.StreamClaimAsync(shard.Stream, RefreshQueue.ConsumerGroup, consumer, (long)threshold.TotalMilliseconds, [p.MessageId]);
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
            queue.Database.SetRemoveAsync(shard.Key.Queued, shard.Select(i => (RedisValue)i.Group).Distinct().ToArray()),
            queue.Database.HashDeleteAsync(shard.Key.Errors, shard.Select(i => (RedisValue)i.Id).ToArray()))));

    /// <summary>
    /// The heartbeat of a consumer working on <paramref name="items"/>: claims them again for itself (idle time back to
    /// zero, delivery count unchanged), so no other consumer takes them over while they run, however long that is.
    /// </summary>
    public Task ExtendAsync(IEnumerable<QueueItem> items, string consumer) =>
        Task.WhenAll(items.GroupBy(i => i.Shard).Select(shard =>
            queue.Database.StreamClaimIdsOnlyAsync(shard.Key.Stream, RefreshQueue.ConsumerGroup, consumer, 0, shard.Select(i => (RedisValue)i.Id).ToArray())));

    public Task CompleteAsync(IEnumerable<QueueItem> items) =>
        Task.WhenAll(items.GroupBy(i => i.Shard).Select(shard =>
            queue.Database.ScriptEvaluateAsync(CompleteScript, [shard.Key.Stream, shard.Key.Errors], [RefreshQueue.ConsumerGroup, .. shard.Select(i => (RedisValue)i.Id)])));

    /// <summary>
    /// Removes a stopping consumer's name from every shard's group, where it holds no pending item (one that does stays,
    /// so its items can be taken over), so names do not pile up in the groups as instances come and go.
    /// </summary>
    public Task RemoveConsumerAsync(string consumer) =>
        Task.WhenAll(queue.ShardsInUse.Select(shard => queue.Database.ScriptEvaluateAsync(RemoveConsumerScript, [shard.Stream], [RefreshQueue.ConsumerGroup, consumer])));

    /// <summary>Records why an item failed; it stays pending and is retried after its backoff.</summary>
    public Task FailAsync(QueueItem item, string error) => queue.Database.HashSetAsync(item.Shard.Errors, item.Id, error);

    /// <summary>
    /// Records why an item failed without counting the delivery against it (the origin itself was failing, not the
    /// item): its delivery count goes back to what it was before this delivery, so it is retried after the same backoff
    /// as last time and is not moved to the dead-letter stream for the origin's outage.
    /// </summary>
    public Task FailUncountedAsync(QueueItem item, string error, string consumer) =>
        queue.Database.ScriptEvaluateAsync(UncountedFailureScript, [item.Shard.Errors, item.Shard.Stream], [item.Id, error, RefreshQueue.ConsumerGroup, consumer, Math.Max(1, item.Deliveries - 1)]);

    public Task DeadLetterAsync(QueueItem item, string error) =>
        queue.Database.ScriptEvaluateAsync(
            DeadLetterScript,
            [item.Shard.Stream, item.Shard.Errors, item.Shard.DeadLetters],
            [RefreshQueue.ConsumerGroup, item.Id, item.Group, item.ChangedAtMs, item.Deliveries, error]);

    private static QueueItem Item(QueueShard shard, StreamEntry entry, long deliveries, string? lastError) =>
        new(shard, entry.Id!, (string?)entry["g"] ?? "", (long?)entry["t"] ?? 0, deliveries, lastError, (string?)entry["tp"]);
}
