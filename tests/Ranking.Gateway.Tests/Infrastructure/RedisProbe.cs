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
    public async Task<string[]> KeysAsync(string prefix)
    {
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: prefix + "*"))
        {
            keys.Add(key.ToString());
        }

        keys.Sort(StringComparer.Ordinal);
        return [.. keys];
    }

    public ValueTask DisposeAsync() => _redis.DisposeAsync();
}
