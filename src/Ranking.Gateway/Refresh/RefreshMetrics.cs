using System.Diagnostics;
using System.Diagnostics.Metrics;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Refresh.Queue;

namespace Ranking.Gateway.Refresh;

/// <summary>
/// The refresh modes' instruments, on the gateway's meter. Tags are modes and outcomes; never a group id. The queue
/// gauges are reported by the instance that holds the producer lease, from its last pass.
/// </summary>
internal sealed class RefreshMetrics
{
    private readonly Counter<long> _lockAttempts;
    private readonly Counter<long> _groups;
    private readonly Histogram<double> _cycleDuration;
    private readonly Counter<long> _enqueued;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _batches;
    private readonly Histogram<double> _batchDuration;
    private QueueStats? _queue;
    private SlotLag? _slot;
    private int _streaming;
    private long _batchCalls;

    public RefreshMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(CacheMetrics.MeterName);
        _lockAttempts = meter.CreateCounter<long>("gateway.refresh.lock_attempts", description: "CompetingLocks: per-group walk lock attempts, by outcome.");
        _groups = meter.CreateCounter<long>("gateway.refresh.groups", description: "Groups recomputed by a background refresher, by mode and outcome.");
        _cycleDuration = meter.CreateHistogram<double>("gateway.refresh.cycle.duration", unit: "s", description: "CompetingLocks: one walk over all groups; Queue: one producer pass.");
        _enqueued = meter.CreateCounter<long>("gateway.refresh.enqueued", description: "Queue: groups queued, by source (all, watermark, dirty, reconciled, stream).");
        _deadLettered = meter.CreateCounter<long>("gateway.refresh.dead_lettered", description: "Queue: items moved to the dead-letter stream.");
        _batches = meter.CreateCounter<long>("gateway.origin.batches", description: "Queue: batched Top-N queries (one SQL statement each), by outcome.");
        _batchDuration = meter.CreateHistogram<double>("gateway.origin.batch.duration", unit: "s", description: "Queue: latency of batched Top-N queries.");
        meter.CreateObservableGauge("gateway.queue.length", () => Gauge(q => q.Length), description: "Queue: items not yet processed (delivered or not).");
        meter.CreateObservableGauge("gateway.queue.pending", () => Gauge(q => q.Pending), description: "Queue: items delivered to a consumer and not yet acknowledged.");
        meter.CreateObservableGauge("gateway.queue.dead_letters", () => Gauge(q => q.DeadLetters), description: "Queue: items in the dead-letter stream.");
        meter.CreateObservableGauge("gateway.queue.dead_letter_oldest_age", () => Gauge(q => q.OldestDeadLetterAge.TotalSeconds), unit: "s", description: "Queue: how long the oldest dead letter has waited for an operator (0 when none).");
        meter.CreateObservableGauge("gateway.queue.oldest_change_age", () => Gauge(q => q.OldestChangeAge.TotalSeconds), unit: "s", description: "Queue: age of the oldest change not yet processed (0 when none).");
        meter.CreateObservableGauge("gateway.replication.streaming", () => Volatile.Read(ref _streaming), description: "Queue: 1 while this instance reads the change stream (Changes: Replication).");
        meter.CreateObservableGauge("gateway.replication.slot.retained", () => SlotGauge(s => s.Retained), unit: "By", description: "Queue: WAL PostgreSQL keeps for the change stream's slot (reported by the leader while the slot exists).");
        meter.CreateObservableGauge("gateway.replication.slot.unconfirmed", () => SlotGauge(s => s.Unconfirmed), unit: "By", description: "Queue: WAL written since the slot's confirmed position, the stream's lag (reported by the leader while the slot exists).");
        meter.CreateObservableGauge("gateway.refresh.leader", () => Volatile.Read(ref _queue) is null ? 0 : 1, description: "Queue: 1 on the instance that holds the producer lease.");
    }

    /// <summary>Publishes the counters of <paramref name="mode"/> at zero, so they are visible before the first event.</summary>
    public void PublishZeros(RefreshMode mode, string policy)
    {
        if (mode == RefreshMode.CompetingLocks)
        {
            foreach (var outcome in new[] { "acquired", "busy", "failed" })
            {
                _lockAttempts.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
            }
        }

        if (mode is RefreshMode.CompetingLocks or RefreshMode.Queue)
        {
            foreach (var outcome in new[] { "refreshed", "not-stored", "origin-failed", "overloaded", "failed" })
            {
                _groups.Add(0, new TagList { { "mode", ModeName(mode) }, { "outcome", outcome } });
            }
        }

        if (mode == RefreshMode.Queue)
        {
            foreach (var source in new[] { "all", "watermark", "dirty", "reconciled", "stream" })
            {
                _enqueued.Add(0, new KeyValuePair<string, object?>("source", source));
            }

            foreach (var outcome in new[] { "ok", "error", "timeout" })
            {
                _batches.Add(0, new TagList { { "policy", policy }, { "outcome", outcome } });
            }

            _deadLettered.Add(0);
        }
    }

    public void LockAttempts(string outcome, int count)
    {
        if (count > 0)
        {
            _lockAttempts.Add(count, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    public void Group(RefreshMode mode, string outcome) =>
        _groups.Add(1, new TagList { { "mode", ModeName(mode) }, { "outcome", outcome } });

    public void Cycle(RefreshMode mode, TimeSpan duration) =>
        _cycleDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("mode", ModeName(mode)));

    public void Enqueued(string source, long count)
    {
        if (count > 0)
        {
            _enqueued.Add(count, new KeyValuePair<string, object?>("source", source));
        }
    }

    public void DeadLettered() => _deadLettered.Add(1);

    /// <summary>Batched recompute statements this instance ran since it started (for the operator console).</summary>
    public long BatchCalls => Interlocked.Read(ref _batchCalls);

    public void Batch(string policy, string outcome, TimeSpan duration)
    {
        Interlocked.Increment(ref _batchCalls);
        var tags = new TagList { { "policy", policy }, { "outcome", outcome } };
        _batches.Add(1, tags);
        _batchDuration.Record(duration.TotalSeconds, tags);
    }

    /// <summary>The producer's last look at the queue; null when this instance no longer holds the lease.</summary>
    public void Queue(QueueStats? stats) => Volatile.Write(ref _queue, stats);

    /// <summary>The change stream's slot as the leader last saw it; null when it does not exist or this instance does not lead.</summary>
    public void Slot(SlotLag? lag) => Volatile.Write(ref _slot, lag);

    public void Streaming(bool streaming) => Volatile.Write(ref _streaming, streaming ? 1 : 0);

    private IEnumerable<Measurement<long>> SlotGauge(Func<SlotLag, long> value) =>
        Volatile.Read(ref _slot) is { } slot ? [new Measurement<long>(value(slot))] : [];

    private static string ModeName(RefreshMode mode) => mode switch
    {
        RefreshMode.CompetingLocks => "CompetingLocks",
        RefreshMode.Queue => "Queue",
        RefreshMode.Early => "Early",
        _ => "Lazy",
    };

    private IEnumerable<Measurement<double>> Gauge(Func<QueueStats, double> value) =>
        Volatile.Read(ref _queue) is { } queue ? [new Measurement<double>(value(queue))] : [];
}

/// <summary>
/// What the producer saw of the queue at the end of a pass: the oldest unprocessed item's change age (the database's or
/// a writer's clock against the gateway's) and how long ago it was queued (the gateway's clock alone: the consumers' lag).
/// </summary>
internal sealed record QueueStats(long Length, long Pending, long DeadLetters, TimeSpan OldestChangeAge, TimeSpan OldestQueuedAge, TimeSpan OldestDeadLetterAge = default);
