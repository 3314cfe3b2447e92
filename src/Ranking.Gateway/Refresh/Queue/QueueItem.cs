namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// One queued group: its shard and stream id, when it changed (Unix ms; the database's clock for a watermark change, the
/// producer's for a dirty mark), how many times it has been delivered, and the error of its last failed delivery.
/// </summary>
internal sealed record QueueItem(QueueShard Shard, string Id, string Group, long ChangedAtMs, long Deliveries, string? LastError = null);
