using Ranking.Gateway.Hosting;
using RedLockNet;
using RedLockNet.SERedis;
using RedLockNet.SERedis.Configuration;
using StackExchange.Redis;

namespace Ranking.Gateway.Caching.Redis;

/// <summary>
/// Per-key refresh locks shared by every instance (RedLock.net over the gateway's Redis). A try-lock:
/// one attempt, no waiting, so only the first instance refreshes and the others move on.
/// </summary>
internal sealed class RefreshLocks : IDisposable
{
    private readonly RedLockFactory _factory;
    private readonly RedisAccess _access;
    private readonly CacheMetrics _metrics;

    public RefreshLocks(IConnectionMultiplexer redis, RedisAccess access, CacheMetrics metrics, ILoggerFactory loggerFactory)
    {
        _access = access;
        _metrics = metrics;
        var endpoint = new RedLockMultiplexer(redis) { RedisKeyFormat = "{0}" };
        _factory = RedLockFactory.Create([endpoint], new RedLockRetryConfiguration(retryCount: 1, retryDelayMs: 10), loggerFactory);
    }

    /// <summary>Tries once to take the key's lock; dispose the result to release it.</summary>
    public async Task<IRedLock?> TryAcquireAsync(string key, TimeSpan expiry)
    {
        if (!_access.IsAvailable)
        {
            _metrics.LockAttempt("unavailable");
            return null;
        }

        using var activity = GatewayTracing.Source.StartActivity(GatewayTracing.Lock);
        var redLock = await _factory.CreateLockAsync(_access.LockKey(key), expiry);
        var outcome = redLock.IsAcquired ? "acquired" : redLock.Status == RedLockStatus.Conflicted ? "busy" : "failed";
        activity?.SetTag(GatewayTracing.LockAcquired, redLock.IsAcquired).SetTag(GatewayTracing.Outcome, outcome);
        _metrics.LockAttempt(outcome);
        if (redLock.IsAcquired)
        {
            return redLock;
        }

        await redLock.DisposeAsync();
        return null;
    }

    public void Dispose() => _factory.Dispose();
}
