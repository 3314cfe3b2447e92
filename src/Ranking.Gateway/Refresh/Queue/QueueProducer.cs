using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching.FreshnessPolicies;
using Ranking.Gateway.Hosting;
using Ranking.Gateway.Ranking;
using StackExchange.Redis;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// Architecture 2's producer. Exactly one instance at a time holds the lease (<see cref="LeaderLease"/>) and, each
/// period, queues the groups that changed: those PostgreSQL shows with an <c>updated_at</c> past the watermark, and
/// those writers marked in the dirty set. On its very first pass (no watermark yet) it queues every group, which
/// pre-caches them all. Then, if the consumers keep up, it vouches for the cache until two periods from now.
/// </summary>
/// <remarks>
/// Passes follow the <see cref="TimeProvider"/>'s clock (like entry lifetimes); the lease is renewed on real time, since
/// Redis expires it on real time. A leader that stalls past its lease (a long GC pause) may overlap with its successor
/// for one pass: harmless, since a group already queued is not queued again and the watermark only moves forward.
/// </remarks>
internal sealed partial class QueueProducer(
    GroupCatalog catalog,
    RefreshQueue queue,
    QueueIntake intake,
    LeaderLease lease,
    QueueVouch vouch,
    ChangeStream stream,
    RefreshMetrics metrics,
    IOptions<RankingOptions> options,
    TimeProvider time,
    ILogger<QueueProducer> logger)
{
    private const int Chunk = 500;

    // Changes already queued whose updated_at is still inside the overlap window, so re-reading the window
    // does not queue them again. Bounded by the groups changed within one overlap.
    private readonly Dictionary<string, DateTime> _recent = new(StringComparer.Ordinal);
    private TaskCompletionSource _wake = NewSignal();
    private bool _leader;
    private bool _passNow;
    private long _passes;

    // The change stream's run that was already going when the last scan began (0: none); while it is still the one
    // going, what it queues covers everything that scan did not see, so passes need not scan.
    private long _scannedInEpoch;

    /// <summary>Passes this instance has made as the producer.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Whether this instance holds the lease (as of its last renewal).</summary>
    public bool IsLeader => Volatile.Read(ref _leader);

    public Task RunAsync(CancellationToken stopping) => Task.WhenAll(KeepLeaseAsync(stopping), ProduceAsync(stopping));

    // Renews (or takes) the lease on real time, whatever the passes are doing, so a long pass cannot lose it.
    private async Task KeepLeaseAsync(CancellationToken stopping)
    {
        var duration = options.Value.Refresh.LeaseDuration;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var leader = await TryHoldLeaseAsync(duration);
                if (leader != IsLeader)
                {
                    Volatile.Write(ref _leader, leader);
                    metrics.Queue(null);
                    Log.Leadership(logger, leader);
                    Wake();
                }

                await Task.Delay(duration / 3, stopping);
            }
        }
        finally
        {
            if (IsLeader)
            {
                // Stopping cleanly: let another instance take over now rather than after the lease runs out.
                Volatile.Write(ref _leader, false);
                await ReleaseLeaseAsync();
                metrics.Queue(null);
            }
        }
    }

    // While this instance leads: a pass at once, then one per period (the gateway's clock), and the change stream if
    // configured (a pass at once when it starts, the scan that covers what came before the stream's slot position).
    private async Task ProduceAsync(CancellationToken stopping)
    {
        var period = options.Value.Refresh.Period;
        var leading = false;
        var next = DateTimeOffset.MinValue;
        CancellationTokenSource? streaming = null;
        var streamed = Task.CompletedTask;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var woken = Volatile.Read(ref _wake);
                if (IsLeader != leading)
                {
                    leading = IsLeader;
                    _recent.Clear();
                    next = time.GetUtcNow();
                    (streaming, streamed) = await SwitchStreamAsync(leading, streaming, streamed, stopping);
                }

                if (leading && (time.GetUtcNow() >= next || Interlocked.Exchange(ref _passNow, false)))
                {
                    next = time.GetUtcNow() + period;
                    await PassAsync(stopping);
                    continue;
                }

                // A timer is relative to when it is armed: one armed just after the clock moved wakes that much late (a
                // test's clock moves in steps). So it waits a tenth of a period at most, and not at all if the clock
                // reached the pass while the timer was being armed.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                var due = leading ? Task.Delay(Min(Max(next - time.GetUtcNow(), TimeSpan.Zero), period / 10), time, wait.Token) : Task.Delay(Timeout.Infinite, wait.Token);
                if (!leading || time.GetUtcNow() < next)
                {
                    await Task.WhenAny(woken.Task, due);
                }

                await wait.CancelAsync();
            }
        }
        finally
        {
            await SwitchStreamAsync(false, streaming, streamed, stopping);
        }
    }

    // The change stream runs while this instance leads, in Changes: Replication.
    private async Task<(CancellationTokenSource?, Task)> SwitchStreamAsync(bool leading, CancellationTokenSource? streaming, Task streamed, CancellationToken stopping)
    {
        if (streaming is not null)
        {
            await streaming.CancelAsync();
            await streamed;
            streaming.Dispose();
        }

        if (!leading || options.Value.Refresh.Changes != ChangeSource.Replication)
        {
            return (null, Task.CompletedTask);
        }

        var run = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        return (run, Task.Run(() => stream.RunAsync(PassNow, run.Token), CancellationToken.None));
    }

    private void PassNow()
    {
        Volatile.Write(ref _passNow, true);
        Wake();
    }

    private void Wake() => Interlocked.Exchange(ref _wake, NewSignal()).TrySetResult();

    /// <summary>
    /// One producer pass. Failures are logged, never thrown; what was not queued is found next pass. The dirty set is
    /// queued even when PostgreSQL cannot be scanned (it needs only Redis); the producer vouches only after a whole pass.
    /// </summary>
    public async Task PassAsync(CancellationToken stopping)
    {
        using var activity = GatewayTracing.Source.StartActivity(GatewayTracing.ProducerPass);
        var settings = options.Value.Refresh;
        var started = time.GetTimestamp();
        try
        {
            var now = time.GetUtcNow();
            long queued = 0;
            var scanned = false;
            var epoch = stream.Epoch;
            try
            {
                queued = await QueueChangesAsync(settings.WatermarkOverlap, now, covered: epoch != 0 && epoch == _scannedInEpoch, stopping);
                scanned = true;
                _scannedInEpoch = epoch;
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested && ex is not (RedisException or TimeoutException))
            {
                Log.PassFailed(logger, ex);
            }

            var restored = await intake.ReconcileAsync(now);
            if (restored > 0)
            {
                metrics.Enqueued("reconciled", restored);
                Log.Reconciled(logger, restored);
                queued += restored;
            }

            long taken;
            do
            {
                (taken, var dirty) = await intake.EnqueueDirtyAsync(Chunk, now);
                metrics.Enqueued("dirty", dirty);
                queued += dirty;
            }
            while (taken == Chunk);

            if (queued > 0)
            {
                await intake.WakeConsumersAsync();
            }

            activity?.SetTag(GatewayTracing.Groups, queued);

            // The gauges (leader, queue) speak for the leader alone: a pass that outlived this instance's lease says nothing.
            var stats = await queue.StatsAsync(now);
            metrics.Queue(IsLeader ? stats : null);
            if (scanned)
            {
                await VouchAsync(stats, now, settings);
            }

            await WatchSlotAsync(settings, stopping);
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            Log.PassFailed(logger, ex);
        }

        metrics.Cycle(RefreshMode.Queue, time.GetElapsedTime(started));
        Interlocked.Increment(ref _passes);
    }

    private async Task<long> QueueChangesAsync(TimeSpan overlap, DateTimeOffset now, bool covered, CancellationToken stopping)
    {
        if (await intake.GetWatermarkAsync() is not { } watermark)
        {
            // The first pass queues every group, and records how far it got page by page: a pass cut short (a Redis
            // timeout, a stop, a new leader) resumes after the last group it queued instead of queueing every group
            // again (at 100,000 groups, a failed first pass doubled the start-up work). Changes made meanwhile come after
            // its start, so the watermark passes find them.
            var (start, after) = await intake.GetFirstPassAsync() ?? (await catalog.NowAsync(stopping), "");
            var all = 0L;
            await foreach (var page in catalog.PagesAsync(stopping, after))
            {
                all += await intake.EnqueueAsync(page.Select(g => new GroupChange(g, start)).ToArray(), now);
                await intake.SetFirstPassAsync(start, page[^1]);
            }

            metrics.Enqueued("all", all);
            await intake.AdvanceWatermarkAsync(start);
            await intake.ClearFirstPassAsync();
            return all;
        }

        if (covered)
        {
            // The change stream queues the changes, and moves the watermark as it does.
            return 0;
        }

        var newest = watermark;
        var queued = 0L;
        var chunk = new List<GroupChange>(Chunk);
        await foreach (var change in catalog.ChangedSinceAsync(watermark - overlap, stopping))
        {
            if (_recent.TryGetValue(change.Group, out var seen) && seen >= change.ChangedAt)
            {
                continue;
            }

            newest = change.ChangedAt > newest ? change.ChangedAt : newest;
            chunk.Add(change);
            if (chunk.Count == Chunk)
            {
                queued += await QueueChunkAsync(chunk, now);
            }
        }

        queued += await QueueChunkAsync(chunk, now);
        metrics.Enqueued("watermark", queued);
        await intake.AdvanceWatermarkAsync(newest);
        foreach (var (group, changedAt) in _recent)
        {
            if (changedAt <= newest - overlap)
            {
                _recent.Remove(group);
            }
        }

        return queued;
    }

    // A change counts as seen only once it is queued: if queueing fails (Redis, a pass cut short), the next pass finds it
    // again, since neither this record nor the watermark moved past it.
    private async Task<long> QueueChunkAsync(List<GroupChange> chunk, DateTimeOffset now)
    {
        var queued = await intake.EnqueueAsync(chunk, now);
        foreach (var change in chunk)
        {
            _recent[change.Group] = change.ChangedAt;
        }

        chunk.Clear();
        return queued;
    }

    // The consumers keep up when nothing has waited in the queue for more than two periods; otherwise the word ends now.
    private async Task VouchAsync(QueueStats stats, DateTimeOffset now, RefreshOptions settings)
    {
        var until = now + (2 * settings.Period);
        if (stats.OldestQueuedAge > 2 * settings.Period)
        {
            Log.Behind(logger, stats.OldestQueuedAge, stats.Length);
            until = now;
        }

        await intake.SetVouchAsync(until, settings.RetainFor);
        vouch.Set(until);
    }

    // The slot's WAL, as a gauge and, past ReplicationLagWarning, as a warning: also in Changes: Poll, where a slot left
    // from the stream's days is read by nobody and keeps WAL without bound.
    private async Task WatchSlotAsync(RefreshOptions settings, CancellationToken stopping)
    {
        SlotLag? lag = null;
        try
        {
            lag = await stream.SlotLagAsync(stopping);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            // PostgreSQL is away: the scan said so already.
        }

        metrics.Slot(IsLeader ? lag : null);
        if (lag is { } slot && slot.Retained > settings.ReplicationLagWarning)
        {
            Log.SlotRetains(logger, settings.ReplicationSlot, slot.Retained, slot.Active);
        }
    }

    private async Task<bool> TryHoldLeaseAsync(TimeSpan duration)
    {
        try
        {
            return await lease.HoldAsync(duration);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            // Without Redis nobody can hold the lease; readers fall back to the lazy path.
            return false;
        }
    }

    private async Task ReleaseLeaseAsync()
    {
        try
        {
            await lease.ReleaseAsync();
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            // It expires on its own.
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ProducerLeadership, Level = LogLevel.Information, Message = "Queue producer lease held by this instance: {Leader}.")]
        public static partial void Leadership(ILogger logger, bool leader);

        [LoggerMessage(EventId = EventIds.ProducerPassFailed, Level = LogLevel.Warning, Message = "Queue producer pass failed; changes not queued now are found on the next pass.")]
        public static partial void PassFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = EventIds.QueueReconciled, Level = LogLevel.Warning, Message = "{Count} queued groups had lost their items from the queue stream (trimmed or deleted by hand?); they were queued again.")]
        public static partial void Reconciled(ILogger logger, long count);

        [LoggerMessage(EventId = EventIds.ReplicationSlotRetains, Level = LogLevel.Warning, Message = "Replication slot {Slot} makes PostgreSQL keep {Bytes} bytes of WAL (a stream reads it: {Active}). If no gateway reads it any more (Ranking:Refresh:Changes Poll, or the fleet is gone), drop it: SELECT pg_drop_replication_slot('{Slot}').")]
        public static partial void SlotRetains(ILogger logger, string slot, long bytes, bool active);

        [LoggerMessage(EventId = EventIds.ConsumersBehind, Level = LogLevel.Warning, Message = "Queue consumers are behind (oldest item queued {Age} ago, {Length} items queued): cached rankings age into the lazy path until they catch up.")]
        public static partial void Behind(ILogger logger, TimeSpan age, long length);
    }
}
