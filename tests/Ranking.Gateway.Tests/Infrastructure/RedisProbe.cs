using StackExchange.Redis;

namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>
/// The test's own connection to the real Redis, to see which keys a gateway wrote under a test's prefix.
/// </summary>
public sealed class RedisProbe : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis;

    private RedisProbe(ConnectionMultiplexer redis) => _redis = redis;

    public static async Task<RedisProbe> ConnectAsync() =>
        new(await ConnectionMultiplexer.ConnectAsync(RealServices.Redis));

    /// <summary>Every key under <paramref name="prefix"/> (SCAN), in ordinal order.</summary>
    /// <summary>The cache's keys under <paramref name="prefix"/>: every key but the instances' heartbeat (<c>{prefix}instances</c>).</summary>
    public async Task<string[]> KeysAsync(string prefix) =>
        [.. (await ScanAsync(_redis, prefix + "*")).Where(k => k != prefix + "instances")];

    /// <summary>
    /// Every key matching <paramref name="pattern"/> (SCAN), in ordinal order: on every primary, since a Redis Cluster
    /// spreads keys over its masters.
    /// </summary>
    public static async Task<string[]> ScanAsync(IConnectionMultiplexer redis, string pattern)
    {
        var keys = new List<string>();
        foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(pattern: pattern))
            {
                keys.Add(key.ToString());
            }
        }

        keys.Sort(StringComparer.Ordinal);
        return [.. keys];
    }

    /// <summary>How long <paramref name="key"/> has left; null when it has no expiry (or does not exist).</summary>
    public Task<TimeSpan?> TimeToLiveAsync(string key) => _redis.GetDatabase().KeyTimeToLiveAsync(key);

    public ValueTask DisposeAsync() => _redis.DisposeAsync();
}
