namespace Ranking.Gateway.Hosting;

/// <summary>
/// Every log event id of the gateway, in one place (as YARP's <c>EventIds</c>), so none is used twice and an operator can
/// find what an id means. Ranges by component: 1xx Redis, 2xx the read path, 3xx the refresh modes, 4xx proxied routes,
/// 5xx the admin API, 6xx the ranking endpoint.
/// </summary>
internal static class EventIds
{
    /// <summary><c>Caching/Redis/RedisAccess.cs</c></summary>
    public const int RedisUnavailable = 100;

    /// <summary><c>Caching/Redis/RedisEntryStore.cs</c></summary>
    public const int CorruptEntry = 101;

    /// <summary><c>Caching/Redis/EntryChangeSubscriber.cs</c></summary>
    public const int ChangeSubscriptionFailed = 110;

    /// <summary><c>Caching/OriginCaller.cs</c></summary>
    public const int OriginFailed = 200;

    /// <summary><c>Caching/Revalidator.cs</c></summary>
    public const int RevalidationFailed = 201;

    /// <summary><c>Caching/Revalidator.cs</c></summary>
    public const int RevalidationError = 202;

    /// <summary><c>Caching/LocalCache.cs</c></summary>
    public const int L1DropFailed = 203;

    /// <summary><c>Refresh/GroupRefresher.cs</c></summary>
    public const int BatchFailed = 300;

    /// <summary><c>Refresh/CompetingLocks/GroupWalker.cs</c></summary>
    public const int WalkFailed = 310;

    /// <summary><c>Refresh/Queue/QueueProducer.cs</c></summary>
    public const int ProducerLeadership = 320;

    /// <summary><c>Refresh/Queue/QueueProducer.cs</c></summary>
    public const int ProducerPassFailed = 321;

    /// <summary><c>Refresh/Queue/QueueProducer.cs</c></summary>
    public const int ConsumersBehind = 322;

    /// <summary><c>Refresh/Queue/QueueProducer.cs</c></summary>
    public const int QueueReconciled = 323;

    /// <summary><c>Refresh/Queue/ChangeStream.cs</c></summary>
    public const int ChangeStreamUnavailable = 324;

    /// <summary><c>Refresh/Queue/ChangeStream.cs</c></summary>
    public const int ChangeStreamStreaming = 325;

    /// <summary><c>Refresh/Queue/ChangeStream.cs</c></summary>
    public const int ChangeStreamTruncate = 326;

    /// <summary><c>Refresh/Queue/QueueProducer.cs</c></summary>
    public const int ReplicationSlotRetains = 327;

    /// <summary><c>Refresh/Queue/ChangeStream.cs</c></summary>
    public const int ChangeStreamResumed = 328;

    /// <summary><c>Refresh/Queue/QueueConsumer.cs</c></summary>
    public const int ConsumeFailed = 330;

    /// <summary><c>Refresh/Queue/QueueConsumer.cs</c></summary>
    public const int DeadLettered = 331;

    /// <summary><c>Refresh/RefreshService.cs</c></summary>
    public const int QueueNotReady = 340;

    /// <summary><c>Refresh/RefreshService.cs</c></summary>
    public const int MoreShardsInUse = 341;

    /// <summary><c>Proxy/FillForwarder.cs</c></summary>
    public const int UnknownHealthPolicy = 400;

    /// <summary><c>Proxy/CachedProxyMiddleware.cs</c></summary>
    public const int HandoffBroken = 410;

    /// <summary><c>Proxy/CachedProxyMiddleware.cs</c></summary>
    public const int InvalidationFailed = 411;

    /// <summary><c>Proxy/CachePolicies.cs</c></summary>
    public const int PoliciesReloadRejected = 420;

    /// <summary><c>Admin/AdminGate.cs</c></summary>
    public const int AdminAnswered = 500;

    /// <summary><c>Admin/AdminGate.cs</c></summary>
    public const int AdminRefused = 501;

    /// <summary><c>Admin/PurgePacer.cs</c></summary>
    public const int PurgeRefreshFailed = 502;

    /// <summary><c>Ranking/KnownGroups.cs</c></summary>
    public const int KnownGroupsReadFailed = 600;

    public const int KnownGroupsRead = 601;
}
