using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Hosting;
using Ranking.Gateway.Ranking;
using StackExchange.Redis;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// Architecture 2's consumers: every instance reads queued groups in batches, recomputes a batch with one SQL
/// statement, writes the entries and acknowledges them. A failed item stays pending and is retried after a backoff;
/// an item delivered <c>MaxDeliveries</c> times goes to the dead-letter stream with its last error (and its cached
/// entry is marked out of date), unless the origin itself was failing (<see cref="OriginOutage"/>): then the delivery
/// does not count; a crashed consumer's items are taken over after the visibility timeout.
/// StackExchange.Redis has no blocking reads, so an idle consumer polls with backoff and the producer wakes it over
/// pub/sub when it queues work.
/// </summary>
internal sealed partial class QueueConsumer(
    RefreshQueue queue,
    QueueDeliveries deliveries,
    GroupRefresher refresher,
    SwrCache cache,
    RefreshMetrics metrics,
    OriginOutage outage,
    RefreshInstance instance,
    IOptions<RankingOptions> options,
    ILogger<QueueConsumer> logger)
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LastPoll = TimeSpan.FromSeconds(1);

    private TaskCompletionSource _wake = NewSignal();
    private int _failing;
    private long _handled;

    /// <summary>Items this instance has finished with: stored, or moved to the dead-letter stream.</summary>
    public long Handled => Interlocked.Read(ref _handled);

    /// <summary>Wakes every idle consumer loop of this instance (the producer queued work).</summary>
    public void WakeUp() => Interlocked.Exchange(ref _wake, NewSignal()).TrySetResult();

    /// <summary>
    /// One consumer loop. It works through the shards in turn, starting at a random one, staying on a shard while it has
    /// work; only after a whole round of empty shards does it sleep, so an idle loop costs one read per shard per poll.
    /// Stopping, it removes its name from the groups where it holds nothing.
    /// </summary>
    public async Task RunAsync(int index, CancellationToken stopping)
    {
        var name = $"{instance.Name}#{index}";
        try
        {
            await ConsumeAsync(name, stopping);
        }
        finally
        {
            await TryAsync(() => deliveries.RemoveConsumerAsync(name));
        }
    }

    private async Task ConsumeAsync(string name, CancellationToken stopping)
    {
        var settings = options.Value.Refresh;
        var shards = queue.ShardsInUse;
        var poll = FirstPoll;
        var nextClaim = new long[shards.Count];
        var current = Random.Shared.Next(shards.Count);
        var emptyInARow = 0;
        var wake = Volatile.Read(ref _wake);
        while (!stopping.IsCancellationRequested)
        {
            // Taken at the start of a round, so a wake-up that comes while the round reads the other shards is not lost.
            if (emptyInARow == 0)
            {
                wake = Volatile.Read(ref _wake);
                if (queue.ShardsInUse.Count != shards.Count)
                {
                    // Another instance queues into more shards: read them too.
                    shards = queue.ShardsInUse;
                    Array.Resize(ref nextClaim, shards.Count);
                }
            }

            var shard = shards[current];
            try
            {
                IReadOnlyList<QueueItem> items = [];
                if (Environment.TickCount64 >= nextClaim[current])
                {
                    items = await deliveries.ClaimDueAsync(shard, name, settings.BatchSize, settings.RetryBackoff, settings.VisibilityTimeout);
                    nextClaim[current] = Environment.TickCount64 + (long)Math.Min(settings.RetryBackoff.TotalMilliseconds, LastPoll.TotalMilliseconds);
                }

                if (items.Count == 0)
                {
                    items = await deliveries.ReadNewAsync(shard, name, settings.BatchSize);
                }

                Interlocked.Exchange(ref _failing, 0);
                if (items.Count > 0)
                {
                    await HandleAsync(items, name, settings);
                    poll = FirstPoll;
                    emptyInARow = 0;
                    continue;
                }
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                // The stream is new, or was deleted (a flushed Redis): make the group again.
                await TryAsync(queue.EnsureConsumerGroupAsync);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                // Once per outage, not once per poll.
                if (Interlocked.Exchange(ref _failing, 1) == 0)
                {
                    Log.ConsumeFailed(logger, ex);
                }
            }

            current = (current + 1) % shards.Count;
            if (++emptyInARow < shards.Count)
            {
                continue;
            }

            emptyInARow = 0;
            await Task.WhenAny(wake.Task, Task.Delay(poll, stopping));
            poll = TimeSpan.FromTicks(Math.Min(poll.Ticks * 2, LastPoll.Ticks));
        }
    }

    private async Task HandleAsync(IReadOnlyList<QueueItem> items, string consumer, RefreshOptions settings)
    {
        var maxDeliveries = settings.MaxDeliveries;
        var done = new List<QueueItem>(items.Count);
        var work = new List<QueueItem>(items.Count);
        foreach (var item in items)
        {
            if (item.Group.Length == 0)
            {
                await DeadLetterAsync(item, "malformed item: no group id");
            }
            else if (item.Deliveries > maxDeliveries)
            {
                await DeadLetterAsync(item, item.LastError ?? "delivered too many times");
            }
            else
            {
                work.Add(item);
            }
        }

        var groups = work.Select(i => i.Group).Distinct(StringComparer.Ordinal).ToArray();
        if (groups.Length == 0)
        {
            return;
        }

        using var activity = GatewayTracing.StartProcess(work.Select(i => i.TraceParent), work.Count);
        await deliveries.TakeAsync(work);
        IReadOnlyDictionary<string, Refreshed> outcomes;
        using (var working = new CancellationTokenSource())
        {
            var heartbeat = KeepClaimedAsync(work, consumer, settings.VisibilityTimeout / 3, working.Token);
            try
            {
                outcomes = await refresher.RefreshBatchAsync(groups);
            }
            finally
            {
                await working.CancelAsync();
                await heartbeat;
            }
        }

        // Every recompute failed and PostgreSQL itself is not answering, or a recompute failed on a broken connection (a
        // timeout alone is not enough: a poisoned group's query can time out while others answer): the origin is
        // failing, not the item. Such deliveries are not counted, so an outage dead-letters nothing;
        // a group that fails with an error of its own while PostgreSQL answers is counted and, in the end, dead-lettered.
        var originDown = outcomes.Values.All(o => !o.Succeeded)
            && await outage.IsDownAsync(2 * settings.RetryBackoff, options.Value.Refresh.VisibilityTimeout / 4);
        foreach (var item in work)
        {
            var outcome = outcomes[item.Group];
            metrics.Group(RefreshMode.Queue, outcome.Succeeded ? outcome.Outcome : "failed");
            if (outcome.Succeeded)
            {
                done.Add(item);
                continue;
            }

            var error = outcome.Error!.Message;
            if (originDown || OriginOutage.IsOriginFault(outcome.Error))
            {
                await deliveries.FailUncountedAsync(item, error, consumer);
            }
            else if (item.Deliveries >= maxDeliveries)
            {
                await DeadLetterAsync(item, error);
            }
            else
            {
                await deliveries.FailAsync(item, error);
            }
        }

        await deliveries.CompleteAsync(done);
        Interlocked.Add(ref _handled, done.Count);
    }

    // A batch recomputed one group at a time may run (1 + BatchSize) × OriginTimeout, well past the visibility timeout:
    // its items are claimed again every third of it while it runs, so no other consumer takes them over meanwhile.
    private async Task KeepClaimedAsync(IReadOnlyList<QueueItem> items, string consumer, TimeSpan every, CancellationToken working)
    {
        try
        {
            while (true)
            {
                await Task.Delay(every, working);
                await TryAsync(() => deliveries.ExtendAsync(items, consumer));
            }
        }
        catch (OperationCanceledException)
        {
            // The batch is done.
        }
    }

    private async Task DeadLetterAsync(QueueItem item, string error)
    {
        if (item.Group.Length > 0)
        {
            // Its change never reached the cache: readers should see the entry STALE, not FRESH. First, so that an item
            // in the dead-letter stream always means its entry says so.
            await cache.RevokeAsync(RankingReader.Key(item.Group));
        }

        await deliveries.DeadLetterAsync(item, error);
        metrics.DeadLettered();
        Log.DeadLettered(logger, item.Group, item.Deliveries, error);
        Interlocked.Increment(ref _handled);
    }

    private static async Task TryAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Tried again on the next poll.
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ConsumeFailed, Level = LogLevel.Warning, Message = "Queue consumer failed; retrying after a pause.")]
        public static partial void ConsumeFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = EventIds.DeadLettered, Level = LogLevel.Error, Message = "Group {Group} moved to the dead-letter stream after {Deliveries} deliveries: {Error}")]
        public static partial void DeadLettered(ILogger logger, string group, long deliveries, string error);
    }
}
