using Microsoft.Extensions.Options;
using Ranking.Gateway.Ranking;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// Architecture 2's producer. Exactly one instance at a time holds the lease (<see cref="LeaderLease"/>) and, each
/// period, queues the groups that changed: those PostgreSQL shows with an <c>updated_at</c> past the watermark, and
/// those writers marked in the dirty set. On its very first pass (no watermark yet) it queues every group, which
/// pre-caches them all. Then, if the consumers keep up, it vouches for the cache until two periods from now.
/// </summary>
/// <remarks>
/// Passes follow the <see cref="TimeProvider"/>'s clock (like entry lifetimes); the lease is renewed on real time, since
/// Redis expires it on real time.
/// </remarks>
internal sealed partial class QueueProducer(
    GroupCatalog catalog,
    RefreshQueue queue,
    LeaderLease lease,
    QueueVouch vouch,
    RefreshMetrics metrics,
    IOptions<RankingOptions> options,
    TimeProvider time,
    ILogger<QueueProducer> logger)
{
    private const int Chunk = 500;

    // Changes already queued whose updated_at is still inside the overlap window, so re-reading the window
    // does not queue them again. Bounded by the groups changed within one overlap.
    private readonly Dictionary<string, DateTime> _recent = new(StringComparer.Ordinal);
    private long _passes;

    /// <summary>Passes this instance has made as the producer.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    public bool IsLeader { get; private set; }

    public async Task RunAsync(CancellationToken stopping)
    {
        var settings = options.Value.Refresh;
        var renewEvery = settings.LeaseDuration / 3;
        DateTimeOffset? nextPass = null;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var leader = await TryHoldLeaseAsync(settings.LeaseDuration);
                if (leader != IsLeader)
                {
                    IsLeader = leader;
                    nextPass = null;
                    _recent.Clear();
                    metrics.Queue(null);
                    Log.Leadership(logger, leader);
                }

                if (leader && (nextPass is null || time.GetUtcNow() >= nextPass))
                {
                    nextPass = (nextPass ?? time.GetUtcNow()) + settings.Period;
                    await PassAsync(stopping);
                }

                // Whichever comes first: the lease's renewal (real time) or the next pass (the gateway's clock).
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                var untilPass = nextPass - time.GetUtcNow();
                await Task.WhenAny(
                    Task.Delay(renewEvery, wait.Token),
                    leader && untilPass > TimeSpan.Zero ? Task.Delay(untilPass.Value, time, wait.Token) : Task.Delay(Timeout.Infinite, wait.Token));
                await wait.CancelAsync();
            }
        }
        finally
        {
            if (IsLeader)
            {
                // Stopping cleanly: let another instance take over now rather than after the lease runs out.
                await ReleaseLeaseAsync();
                metrics.Queue(null);
            }
        }
    }

    /// <summary>One producer pass. Failures are logged, never thrown; what was not queued is found next pass.</summary>
    public async Task PassAsync(CancellationToken stopping)
    {
        var settings = options.Value.Refresh;
        var started = time.GetTimestamp();
        try
        {
            var queued = await QueueChangesAsync(settings.WatermarkOverlap, stopping);
            var now = time.GetUtcNow();
            long taken;
            do
            {
                (taken, var dirty) = await queue.EnqueueDirtyAsync(Chunk, now);
                metrics.Enqueued("dirty", dirty);
                queued += dirty;
            }
            while (taken == Chunk);

            if (queued > 0)
            {
                await queue.WakeConsumersAsync();
            }

            var stats = await queue.StatsAsync(now);
            metrics.Queue(stats);
            await VouchAsync(stats, now, settings.Period);
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            Log.PassFailed(logger, ex);
        }

        metrics.Cycle(RefreshMode.Queue, time.GetElapsedTime(started));
        Interlocked.Increment(ref _passes);
    }

    private async Task<long> QueueChangesAsync(TimeSpan overlap, CancellationToken stopping)
    {
        if (await queue.GetWatermarkAsync() is not { } watermark)
        {
            var start = await catalog.NowAsync(stopping);
            var all = 0L;
            await foreach (var page in catalog.PagesAsync(stopping))
            {
                all += await queue.EnqueueAsync(page.Select(g => new GroupChange(g, start)).ToArray());
            }

            metrics.Enqueued("all", all);
            await queue.SetWatermarkAsync(start);
            return all;
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

            _recent[change.Group] = change.ChangedAt;
            newest = change.ChangedAt > newest ? change.ChangedAt : newest;
            chunk.Add(change);
            if (chunk.Count == Chunk)
            {
                queued += await queue.EnqueueAsync(chunk);
                chunk.Clear();
            }
        }

        queued += await queue.EnqueueAsync(chunk);
        metrics.Enqueued("watermark", queued);
        await queue.SetWatermarkAsync(newest);
        foreach (var (group, changedAt) in _recent)
        {
            if (changedAt <= newest - overlap)
            {
                _recent.Remove(group);
            }
        }

        return queued;
    }

    // The consumers keep up when the oldest unprocessed change is at most two periods old.
    private async Task VouchAsync(QueueStats stats, DateTimeOffset now, TimeSpan period)
    {
        if (stats.OldestChangeAge <= 2 * period)
        {
            var until = now + (2 * period);
            await queue.SetVouchAsync(until, 2 * period);
            vouch.Set(until);
            return;
        }

        Log.Behind(logger, stats.OldestChangeAge, stats.Length);
        await queue.WithdrawVouchAsync();
        vouch.Set(null);
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 320, Level = LogLevel.Information, Message = "Queue producer lease held by this instance: {Leader}.")]
        public static partial void Leadership(ILogger logger, bool leader);

        [LoggerMessage(EventId = 321, Level = LogLevel.Warning, Message = "Queue producer pass failed; changes not queued now are found on the next pass.")]
        public static partial void PassFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 322, Level = LogLevel.Warning, Message = "Queue consumers are behind (oldest change {Age} old, {Length} items queued): cached rankings age into the lazy path until they catch up.")]
        public static partial void Behind(ILogger logger, TimeSpan age, long length);
    }
}
