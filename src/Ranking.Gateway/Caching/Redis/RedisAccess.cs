using Microsoft.Extensions.Options;
using Ranking.Gateway.Hosting;
using StackExchange.Redis;

namespace Ranking.Gateway.Caching.Redis;

/// <summary>
/// The cache's way to Redis, shared by its parts (the entry store, the fill signals, the locks): the connection, the
/// circuit breaker every command goes through, the names of a cache key's Redis keys (<c>{prefix}{key}:suffix</c>, a hash
/// tag, so a key's entry, lock and markers share a cluster slot), and the change channel. A Redis failure trips the
/// breaker and reads as "unavailable"; nothing here throws for Redis.
/// </summary>
internal sealed partial class RedisAccess(IConnectionMultiplexer redis, IOptions<GatewayOptions> options, CacheMetrics metrics, ILogger<RedisAccess> logger)
{
    private readonly RedisCircuitBreaker _breaker = new(options.Value.RedisBreakDuration);
    private readonly string _prefix = options.Value.KeyPrefix;

    public bool IsAvailable => !_breaker.IsOpen;

    public IDatabase Database => redis.GetDatabase();

    public ISubscriber Subscriber => redis.GetSubscriber();

    /// <summary>The channel every change of an entry is announced on, from inside the script that makes it.</summary>
    public RedisChannel Changes { get; } = RedisChannel.Literal(options.Value.KeyPrefix + "changes");

    /// <summary>This instance, in the change messages it sends, so it knows its own.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>The message announcing a change of <paramref name="key"/>: <c>instance\nkey</c>.</summary>
    public string ChangeMessage(string key) => $"{InstanceId}\n{key}";

    public string EntryKey(string key) => SlotKey(key, "entry");

    public string LockKey(string key) => SlotKey(key, "lock");

    /// <summary>The word the key's last fill left when it stored nothing (<see cref="FillSignals"/>).</summary>
    public string UnstorableKey(string key) => SlotKey(key, "unstorable");

    /// <summary>When the key was last purged (Unix ms, the purging instance's clock); no store whose fetch began before may land.</summary>
    public string PurgedKey(string key) => SlotKey(key, "purged");

    /// <summary>
    /// A tag's index: the keys of the entries that carry it, in a sorted set scored by when each leaves Redis. In the tag's
    /// own slot (<c>{prefix}{#tag:name}:index</c>), so on a cluster the tags spread over the nodes, and one tag's index and
    /// purge time are always on one.
    /// </summary>
    public string TagIndexKey(string tag) => SlotKey("#tag:" + tag, "index");

    /// <summary>When the tag was last purged (Unix ms), beside its index.</summary>
    public string TagPurgedKey(string tag) => SlotKey("#tag:" + tag, "purged");

    /// <summary>A key of <paramref name="key"/>'s own, in the same cluster slot as its entry: <c>{prefix}{key}:suffix</c>.</summary>
    public string SlotKey(string key, string suffix) => $"{_prefix}{{{key}}}:{suffix}";

    /// <summary>One question to Redis, asked only while the breaker is closed; null when Redis is unavailable.</summary>
    public async Task<T?> TryAsync<T>(Func<IDatabase, Task<T>> ask)
        where T : struct
    {
        if (_breaker.IsOpen)
        {
            return null;
        }

        try
        {
            return await ask(redis.GetDatabase());
        }
        catch (Exception ex) when (IsFailure(ex))
        {
            Fail(ex);
            return null;
        }
    }

    /// <summary>A Redis failure: counted, and the breaker tripped (logged once per outage).</summary>
    public void Fail(Exception ex)
    {
        metrics.RedisFailure();
        if (_breaker.Trip())
        {
            Log.RedisUnavailable(logger, ex);
        }
    }

    public static bool IsFailure(Exception ex) => ex is RedisException or TimeoutException or ObjectDisposedException;

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.RedisUnavailable, Level = LogLevel.Warning, Message = "Redis is unavailable; bypassing it for a while.")]
        public static partial void RedisUnavailable(ILogger logger, Exception exception);
    }
}
