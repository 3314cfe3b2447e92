namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// One queued group: its shard and stream id, when it changed (Unix ms; the database's clock for a watermark change, the
/// producer's for a dirty mark), how many times it has been delivered, the error of its last failed delivery, and the
/// W3C <c>traceparent</c> of the span that queued it (when tracing was on), so its recompute joins that trace.
/// </summary>
internal sealed record QueueItem(QueueShard Shard, string Id, string Group, long ChangedAtMs, long Deliveries, string? LastError = null, string? TraceParent = null);
