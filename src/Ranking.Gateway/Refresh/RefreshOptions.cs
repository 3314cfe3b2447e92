namespace Ranking.Gateway.Refresh;

/// <summary>
/// <c>Ranking:Refresh</c>: which architecture keeps cached rankings fresh, and its knobs. The read path is the same in
/// every mode; a background mode only keeps entries fresh ahead of reads, and when it stops, reads fall back to the
/// lazy path.
/// </summary>
public sealed class RefreshOptions
{
    public RefreshMode Mode { get; set; } = RefreshMode.Lazy;

    /// <summary>
    /// CompetingLocks: how often every group is recomputed. Queue: how often the producer looks for changed groups.
    /// "Rankings may lag one minute." Each instance runs at its own random offset within the period.
    /// </summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Group ids read per page of <c>Ranking:GroupsSql</c>; never all ids in memory at once.</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>CompetingLocks: recomputes one instance runs at once.</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>Queue: groups a consumer takes at once, recomputed in one SQL round trip.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Queue: consumer loops per instance; 0 makes an instance produce (when elected) but not consume.</summary>
    public int Consumers { get; set; } = 1;

    /// <summary>
    /// Queue: shards of the queue, each a stream (and its sets) under a hash tag of its own; a group's shard is its hash
    /// slot modulo this. One suits a single Redis; on a Redis Cluster a few per master spread the queue's traffic over
    /// the masters. Give every instance the same number; should they differ, every instance reads as many shards as the
    /// highest in use (<c>RefreshQueue.ShardsInUse</c>), so nothing is stranded.
    /// </summary>
    public int QueueShards { get; set; } = 1;

    /// <summary>The most <see cref="QueueShards"/> may be.</summary>
    public const int MaxQueueShards = 256;

    /// <summary>Queue: deliveries of one item before it goes to the dead-letter stream with its last error.</summary>
    public int MaxDeliveries { get; set; } = 5;

    /// <summary>Queue: a failed item is retried after this, doubled on each further delivery.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Queue: how long a consumer may hold items unacknowledged before another takes them over (it crashed).</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Queue: the producer's lease; when its holder dies, another instance produces within this long.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Queue: each scan for changes reaches back this far behind the watermark, so a write whose transaction began
    /// before the last scan but committed after it (its <c>updated_at</c> is then older than the watermark) is not missed.
    /// </summary>
    public TimeSpan WatermarkOverlap { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Queue: how long Redis keeps a ranking after it was last written. The producer keeps unchanged rankings fresh, so
    /// a group is recomputed when it changes, or when its entry has gone unwritten this long.
    /// </summary>
    public TimeSpan RetainFor { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Queue: how the producer finds changed groups; <see cref="ChangeSource.Poll"/> (the default) or the change stream.</summary>
    public ChangeSource Changes { get; set; } = ChangeSource.Poll;

    /// <summary>
    /// Queue with <c>Changes: Replication</c>: the logical replication slot the stream reads (created when missing). A
    /// slot nobody reads makes PostgreSQL keep WAL: drop it when the gateway no longer uses it (README "The change stream").
    /// </summary>
    public string ReplicationSlot { get; set; } = "ranking_gateway";

    /// <summary>Queue with <c>Changes: Replication</c>: the publication the slot is read through (created on <see cref="ReplicationTable"/> when missing).</summary>
    public string ReplicationPublication { get; set; } = "ranking_gateway";

    /// <summary>Queue with <c>Changes: Replication</c>: the score table, optionally schema-qualified, and its group id column.</summary>
    public string ReplicationTable { get; set; } = "ranking_scores";

    /// <inheritdoc cref="ReplicationTable"/>
    public string ReplicationGroupColumn { get; set; } = "group_id";

    /// <summary>Queue with <c>Changes: Replication</c>: how long after the stream failed it is tried again (the producer polls meanwhile).</summary>
    public TimeSpan ReplicationRetry { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Queue: a warning is logged on each producer pass while the slot keeps more WAL than this (bytes), whatever
    /// <see cref="Changes"/> says: a slot left behind when the stream stopped being read grows without bound.
    /// </summary>
    public long ReplicationLagWarning { get; set; } = 1L << 30;

    /// <summary>Early: XFetch's β; above 1 refreshes earlier, below 1 later.</summary>
    public double Beta { get; set; } = 1.0;
}
